/**
 * The AWS credentials the tests' proxies sign with and their emulators verify (made up, never real):
 * a request the proxy signs wrongly is refused by the emulator as AWS would refuse it.
 */
export const testAwsCredentials = { accessKeyId: "AKIDABPTEST", secretAccessKey: "abp-test-secret-key" } as const;

/** The same, as the environment of a process that reads them (the emulator's, a proxy's default chain). */
export const testAwsEnv = { AWS_ACCESS_KEY_ID: testAwsCredentials.accessKeyId, AWS_SECRET_ACCESS_KEY: testAwsCredentials.secretAccessKey } as const;
