import { App } from "aws-cdk-lib";
import { ProxyStack } from "../lib/stack.ts";
import { readSettings } from "../lib/settings.ts";

/** `cdk synth|deploy|destroy` runs this (deploy/cdk.json); the settings are context values (deploy/README.md). */
const app = new App();
const settings = readSettings(app.node);
new ProxyStack(app, settings.stackName, settings, { description: "Anthropic Messages API proxy to Amazon Bedrock (anthropic-bedrock-proxy)" });
app.synth();
