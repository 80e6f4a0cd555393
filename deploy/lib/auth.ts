import { RemovalPolicy, Stack } from "aws-cdk-lib";
import * as cognito from "aws-cdk-lib/aws-cognito";
import * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import { Construct } from "constructs";

export interface PortalSignInProps {
  /** The host browsers reach the proxy at: the callback is https://<domainName>/admin/auth/callback (src/portal/auth/sign-in-routes.ts). */
  domainName: string;
  cognitoDomainPrefix: string;
  /** Only its members may sign in to the portal (OIDC_ADMIN_GROUP). */
  adminGroup: string;
  stackName: string;
}

/**
 * Single sign-on for the admin portal (ADMIN_AUTH=oidc): a Cognito user pool, its hosted sign-in page and
 * a confidential app client on the authorization-code flow. Cognito makes the client secret; a custom
 * resource copies it into Secrets Manager, so the proxy gets it as an ECS secret like the others and no
 * template holds it. Users are added by the operator (no self sign-up) and put in the admin group.
 */
export class PortalSignIn extends Construct {
  readonly issuer: string;
  readonly clientId: string;
  readonly redirectUrl: string;
  readonly clientSecret: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: PortalSignInProps) {
    super(scope, id);
    const pool = new cognito.UserPool(this, "Users", {
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      mfa: cognito.Mfa.OPTIONAL,
      mfaSecondFactor: { sms: false, otp: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    pool.addDomain("SignInPage", { cognitoDomain: { domainPrefix: props.cognitoDomainPrefix } });
    new cognito.CfnUserPoolGroup(this, "Admins", { userPoolId: pool.userPoolId, groupName: props.adminGroup, description: "May sign in to the proxy's admin portal" });
    this.redirectUrl = `https://${props.domainName}/admin/auth/callback`;
    const client = pool.addClient("Portal", {
      generateSecret: true,
      oAuth: {
        flows: { authorizationCodeGrant: true },
        scopes: [cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE],
        callbackUrls: [this.redirectUrl],
      },
      supportedIdentityProviders: [cognito.UserPoolClientIdentityProvider.COGNITO],
      preventUserExistenceErrors: true,
    });
    this.clientId = client.userPoolClientId;
    this.issuer = `https://cognito-idp.${Stack.of(this).region}.amazonaws.com/${pool.userPoolId}`;
    this.clientSecret = new secretsmanager.Secret(this, "ClientSecret", {
      secretName: `${props.stackName}/oidc-client-secret`,
      description: "OIDC_CLIENT_SECRET of the proxy: the portal's Cognito app client",
      secretStringValue: client.userPoolClientSecret,
      removalPolicy: RemovalPolicy.DESTROY,
    });
  }
}
