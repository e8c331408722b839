// One page of a list service (nodes, their cursors, whether more follow) as a Relay connection.
interface Page<T> {
  nodes: T[];
  cursors: string[];
  hasNextPage: boolean;
}

export function toConnection<T, N>(page: Page<T>, after: string | null | undefined, toNode: (row: T) => N) {
  const edges = page.nodes.map((row, i) => ({ cursor: page.cursors[i]!, node: toNode(row) }));
  return {
    edges,
    pageInfo: {
      hasNextPage: page.hasNextPage,
      // Forward pagination only: a page read after a cursor has one before it.
      hasPreviousPage: Boolean(after),
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}
