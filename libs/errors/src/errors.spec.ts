import {
  Code,
  InvalidArgumentError,
  NotFoundError,
  PermissionDeniedError,
  VerdictError,
  isVerdictError,
} from './index';

describe('errors', () => {
  it('names the field, the expectation and what came', () => {
    const error = new InvalidArgumentError({
      field: 'inputs[0].datatype',
      expected: 'FP32',
      received: 'INT8',
    });
    expect(error.code).toBe(Code.INVALID_ARGUMENT);
    expect(error.message).toBe('inputs[0].datatype: expected FP32, got INT8');
    expect(error.name).toBe('InvalidArgumentError');
    expect(error).toBeInstanceOf(VerdictError);
  });

  it('lists what exists when something is not found', () => {
    expect(
      new NotFoundError({ kind: 'model', resource: 'spam', available: ['mnist'] }).message,
    ).toBe("model 'spam' not found (available: mnist)");
    expect(new NotFoundError({ kind: 'model', resource: 'spam', available: [] }).message).toBe(
      "model 'spam' not found (none exist)",
    );
  });

  it('names principal and permission on a denial', () => {
    const error = new PermissionDeniedError({
      principal: 'spiffe://verdict.local/ns/default/sa/router',
      permission: 'model:deploy',
      resource: 'spam@production',
    });
    expect(error.code).toBe(Code.PERMISSION_DENIED);
    expect(error.message).toContain('spiffe://verdict.local/ns/default/sa/router');
    expect(error.message).toContain("'model:deploy'");
  });

  it('uses the gRPC status numbers', () => {
    expect(Code.INVALID_ARGUMENT).toBe(3);
    expect(Code.UNAUTHENTICATED).toBe(16);
    expect(Code.DATA_LOSS).toBe(15);
  });

  it('recognises its own errors and no others', () => {
    expect(isVerdictError(new NotFoundError({ kind: 'model', resource: 'x' }))).toBe(true);
    expect(isVerdictError(new Error('plain'))).toBe(false);
    expect(isVerdictError('string')).toBe(false);
  });
});
