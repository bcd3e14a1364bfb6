import { ProtocolLibrary } from '../../src/protocols/protocol-library';
import { defaultProtocolDir } from '../../src/protocols/protocol-files';

/** The shipped protocols and red flags, loaded once per test file. */
export const library = ProtocolLibrary.load(defaultProtocolDir(__dirname));
