// The Agent without a model: fixed templates for outgoing mail and the keyword rules of RULES.md for replies.
// Deterministic by design, for trying Offload locally and for tests that must not depend on a model.
import type { Evaluation } from '../domain/evaluation.types';
import type { Agent, CaseContext, ComposedMessage, ComposeRequest } from './agent.types';
import { composeFromTemplate } from './rules/compose.templates';
import { evaluateByRules } from './rules/reply.rules';

export class RulesAgent implements Agent {
  readonly name = 'rules';

  compose(request: ComposeRequest): Promise<ComposedMessage> {
    return Promise.resolve(composeFromTemplate(request));
  }

  evaluate(context: CaseContext): Promise<Evaluation> {
    return Promise.resolve(evaluateByRules(context));
  }
}
