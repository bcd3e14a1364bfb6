import { uniqueName } from '@careloop/testing';
it('names', () => {
  expect(uniqueName('x')).toMatch(/^x-/);
});
