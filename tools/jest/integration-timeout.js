// Integration tests talk to real brokers and databases: allow them time.
jest.setTimeout(120_000);
