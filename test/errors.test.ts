import { describe, expect, it } from 'vitest';
import { ERRORS, WebhookError } from '../src/errors.ts';

describe('error catalogue', () => {
  it('fills the template and carries code and status', () => {
    const error = new WebhookError('BODY_TOO_LARGE', '1024');
    expect(error.message).toBe('request body is larger than the limit of 1024 bytes');
    expect(error.code).toBe('SVW_ERR_BODY_TOO_LARGE');
    expect(error.statusCode).toBe(413);
  });

  it('has unique codes, all prefixed SVW_ERR_', () => {
    const codes = Object.values(ERRORS).map((definition) => definition.code);
    expect(new Set(codes).size).toBe(codes.length);
    for (const code of codes) expect(code).toMatch(/^SVW_ERR_[A-Z_]+$/);
  });
});
