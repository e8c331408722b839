// What a document may hold before graphql-js validates it. Some specified rules cost more than linear time
// (OverlappingFieldsCanBeMerged compares every pair of fields sharing a response name: 1,200 copies of
// `usage { plan }` in 18 KB cost up to a second), so the shape is bounded first, in one iterative pass over the
// syntax tree, and a document over the budget never reaches them.
import type { RequestHandler } from 'express';
import { GraphQLError, Kind, parse, type DocumentNode, type SelectionSetNode } from 'graphql';
import { QUERY_LIMITS } from './operation.limits';

export const VALIDATION_BUDGET = {
  /** Field nodes in the whole document, fragments counted once; the largest checked-in operation (GetCaseDetail) has 72. */
  maxFields: 150,
  /** Selections (fields, spreads, inline fragments) in one selection set. */
  maxSelections: 60,
  /** How often one response name may appear in one selection set (each repeat is compared with every other). */
  maxRepeats: 3,
  /** Fragment definitions in the document. */
  maxFragments: 16,
} as const;

const budgetError = (message: string, limit: string, max: number) =>
  new GraphQLError(message, {
    extensions: { code: 'GRAPHQL_VALIDATION_FAILED', limit, max, http: { status: 400 } },
  });

/** The error refusing `document`, or null when it is within VALIDATION_BUDGET. Linear in the document's size. */
export function checkValidationBudget(document: DocumentNode): GraphQLError | null {
  const b = VALIDATION_BUDGET;
  let fields = 0;
  let fragments = 0;
  const pending: SelectionSetNode[] = [];
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments += 1;
    if ('selectionSet' in definition && definition.selectionSet) pending.push(definition.selectionSet);
  }
  if (fragments > b.maxFragments)
    return budgetError(
      `Document defines ${fragments} fragments; the maximum is ${b.maxFragments}`,
      'fragments',
      b.maxFragments,
    );
  for (let set = pending.pop(); set; set = pending.pop()) {
    if (set.selections.length > b.maxSelections)
      return budgetError(
        `A selection set holds ${set.selections.length} selections; the maximum is ${b.maxSelections}`,
        'selections',
        b.maxSelections,
      );
    const names = new Map<string, number>();
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        fields += 1;
        if (fields > b.maxFields)
          return budgetError(`Document selects more than ${b.maxFields} fields`, 'fields', b.maxFields);
        const name = (selection.alias ?? selection.name).value;
        const seen = (names.get(name) ?? 0) + 1;
        if (seen > b.maxRepeats)
          return budgetError(
            `Field "${name}" is selected ${seen} times in one selection set; the maximum is ${b.maxRepeats}`,
            'repeats',
            b.maxRepeats,
          );
        names.set(name, seen);
      }
      if (selection.kind !== Kind.FRAGMENT_SPREAD && selection.selectionSet) pending.push(selection.selectionSet);
    }
  }
  return null;
}

/**
 * The budget on /graphql, in front of Apollo: Apollo gives plugins no way to refuse a document between parsing and
 * validation (an error thrown in validationDidStart becomes a 500). Verdicts are kept by query text, so the few
 * documents real clients send are parsed here once; a document that does not parse is left to Apollo to refuse.
 */
export function validationBudgetGuard(): RequestHandler {
  const verdicts = new Map<string, GraphQLError | null>();
  return (req, res, next) => {
    const body = req.body as { query?: unknown } | undefined;
    const query =
      typeof body?.query === 'string' ? body.query : typeof req.query.query === 'string' ? req.query.query : null;
    if (query === null) return next();
    let verdict = verdicts.get(query);
    if (verdict === undefined) {
      let document: DocumentNode;
      try {
        document = parse(query, { maxTokens: QUERY_LIMITS.maxTokens, noLocation: true });
      } catch {
        return next();
      }
      verdict = checkValidationBudget(document);
      if (verdicts.size >= 1000) verdicts.delete(verdicts.keys().next().value!);
      verdicts.set(query, verdict);
    }
    if (!verdict) return next();
    const { http: _http, ...extensions } = verdict.extensions;
    res.status(400).json({ errors: [{ message: verdict.message, extensions }] });
  };
}
