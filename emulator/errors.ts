/**
 * Bedrock's exceptions, one table: name → HTTP status. Non-stream and pre-stream errors are
 * rendered once, here, the way Bedrock sends them (status + `x-amzn-ErrorType` + `{"message"}`),
 * so the AWS SDK turns them into its typed exceptions.
 */

export const exceptionStatus = {
  ValidationException: 400,
  ServiceQuotaExceededException: 400,
  AccessDeniedException: 403,
  UnrecognizedClientException: 403,
  InvalidSignatureException: 403,
  ResourceNotFoundException: 404,
  UnknownOperationException: 404,
  ModelTimeoutException: 408,
  ModelErrorException: 424,
  ModelStreamErrorException: 424,
  ThrottlingException: 429,
  ModelNotReadyException: 429,
  InternalServerException: 500,
  ServiceUnavailableException: 503,
} as const;

export type ExceptionName = keyof typeof exceptionStatus;

export const exceptionNames = Object.keys(exceptionStatus) as [ExceptionName, ...ExceptionName[]];

/** The event-stream union members Bedrock uses for in-stream failures, and the exception each stands for. */
export const streamExceptionMembers = {
  internalServerException: "InternalServerException",
  modelStreamErrorException: "ModelStreamErrorException",
  validationException: "ValidationException",
  throttlingException: "ThrottlingException",
  serviceUnavailableException: "ServiceUnavailableException",
  modelTimeoutException: "ModelTimeoutException",
} as const satisfies Record<string, ExceptionName>;

export type StreamExceptionMember = keyof typeof streamExceptionMembers;

export const streamExceptionMemberNames = Object.keys(streamExceptionMembers) as [
  StreamExceptionMember,
  ...StreamExceptionMember[],
];

const defaultMessages: Partial<Record<ExceptionName, string>> = {
  ThrottlingException: "Too many requests, please wait before trying again.",
  ServiceUnavailableException: "Bedrock is unable to process your request.",
  ModelNotReadyException: "Model is not ready to serve inference requests.",
  ModelTimeoutException: "Model has timed out in processing the request. Try your request again.",
  ModelErrorException: "The system encountered an unexpected error during processing. Try your request again.",
  ModelStreamErrorException: "The model stream encountered an error.",
  InternalServerException: "The server encountered an internal error while processing the request.",
  ServiceQuotaExceededException: "Your request exceeds the service quota for your account.",
  AccessDeniedException: "You don't have access to the model with the specified model ID.",
};

export function defaultExceptionMessage(name: ExceptionName): string {
  return defaultMessages[name] ?? `${name} (emulated)`;
}

export function errorResponse(name: ExceptionName, message: string = defaultExceptionMessage(name)): Response {
  return Response.json(
    { message },
    {
      status: exceptionStatus[name],
      headers: {
        "x-amzn-ErrorType": `${name}:http://internal.amazon.com/coral/com.amazon.bedrock/`,
        "x-amzn-RequestId": crypto.randomUUID(),
      },
    },
  );
}

export function validationError(message: string): Response {
  return errorResponse("ValidationException", message);
}
