// In production a client learns nothing about the schema from its mistakes: no "Did you mean ...?" suggestions
// (graphql-js adds them to unknown fields, arguments, types and enum values).
import type { GraphQLFormattedError } from 'graphql';

const SUGGESTION = / ?Did you mean(.+?)\?$/;

export type ErrorFormatter = (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;

export function withoutSuggestions(format: ErrorFormatter): ErrorFormatter {
  return (formatted, error) => {
    const result = format(formatted, error);
    return SUGGESTION.test(result.message) ? { ...result, message: result.message.replace(SUGGESTION, '') } : result;
  };
}

/** The formatter for client-facing errors: `format`, minus suggestions in production. */
export const clientErrorFormatter = (format: ErrorFormatter, production: boolean): ErrorFormatter =>
  production ? withoutSuggestions(format) : format;
