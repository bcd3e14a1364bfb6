/**
 * Asymmetric matchers typed as `unknown`: jest types them `any`, which the workspace lint forbids
 * assigning into object literals.
 */
export const anyString = (): unknown => expect.any(String);
export const matching = (pattern: RegExp): unknown => expect.stringMatching(pattern);
