// Moved: the mappers to case-state.mapper.ts, every statement to src/persistence. Kept until the last importers
// outside this feature (rest.mapping.ts, webhook-snapshot.mapper.ts, graphql case.mapper.ts) import the mapper.
export { toState, inputRequestOf } from './case-state.mapper';
