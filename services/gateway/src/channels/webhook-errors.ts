/** The request body is JSON but not a webhook of the expected shape: a 400, never published. */
export class WebhookShapeError extends Error {
  override readonly name = 'WebhookShapeError';
}
