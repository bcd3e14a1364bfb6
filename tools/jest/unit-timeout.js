// Unit tests wait for things, never time them: generous on a loaded two-core CI box.
jest.setTimeout(20_000);
