import { NsvswitchError } from '../../errors/nsvswitch-error.js';

/** Base of every error the OVSDB client throws. */
export class OvsdbError extends NsvswitchError {}
