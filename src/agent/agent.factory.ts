// The one place that picks an Agent implementation from configuration (env parsing lives in src/config).
import type { Agent } from './agent.types';
import { OpenAIAgent } from './openai.agent';
import type { AgentCallHook, OpenAIAgentOptions } from './openai.agent';
import { RulesAgent } from './rules.agent';

export type AgentKind = 'openai' | 'rules';

export interface AgentFactoryConfig {
  agent: AgentKind;
  openai?: Omit<OpenAIAgentOptions, 'onCall'>;
  /** Metrics hook for every model call (openai only; the rules agent makes none). */
  onCall?: AgentCallHook;
}

export function createAgent(config: AgentFactoryConfig): Agent {
  switch (config.agent) {
    case 'rules':
      return new RulesAgent();
    case 'openai':
      if (!config.openai) throw new Error('createAgent: AGENT=openai needs the openai settings (at least a model)');
      return new OpenAIAgent({ ...config.openai, onCall: config.onCall });
    default: {
      const unreachable: never = config.agent;
      throw new Error(`createAgent: unknown agent "${String(unreachable)}"`);
    }
  }
}
