// Every migration, in order. Listed explicitly so the compiled build and ts-jest load the same set.
import { InitialSchema1732300000000 } from './1732300000000-initial-schema';

export const MIGRATIONS = [InitialSchema1732300000000];
