// Answers a counterparty's question from the case's own goal.knowledge, without a model: each knowledge entry
// (a key and its value, or a sentence of a knowledge string) is compared with the question by shared words and
// shared word classes ("when" and "deadline" both speak of time). Words of the objective are the topic of every
// question and entry alike, so they do not count; a question must share something more specific.
import { knowledgeWithoutHumanContext } from '../human-context.mapper';
import { isPlainObject } from '../strict-schema.mapper';

export interface KnowledgeAnswer {
  question: string;
  answer: string;
}

/** Word classes: a question word and the knowledge that answers it rarely share the same word. */
const CLASSES: Record<string, readonly string[]> = {
  time: [
    'when',
    'deadline',
    'due',
    'soon',
    'date',
    'timeline',
    'time',
    'start',
    'begin',
    'hours',
    'urgent',
    'how long',
  ],
  place: ['where', 'address', 'location', 'located', 'site', 'venue', 'mailbox', 'email', 'floor'],
  format: [
    'format',
    'version',
    'revision',
    'scan',
    'scanned',
    'copy',
    'pdf',
    'original',
    'electronic',
    'docusign',
    'wet',
  ],
  reason: ['why', 'reason', 'purpose', 'needed', 'required', 'require', 'requires'],
  payment: ['payment', 'terms', 'pay', 'paid', 'ach', 'wire', 'currency', 'net'],
  contact: ['who', 'contact', 'call', 'phone', 'person'],
  food: ['vegetarian', 'vegan', 'gluten', 'allergy', 'allergies', 'menu', 'food', 'meat', 'dietary', 'options'],
  consent: ['authorization', 'authorisation', 'consent', 'authorize', 'permission', 'release'],
  scope: ['what information', 'exactly', 'details', 'salary'],
};

const STOP = new Set(
  (
    'a an the and or but if of to in on at by for from with about as is are was were be been do does did can could ' +
    'would should will shall may might must have has had i you we they he she it this that these those there our your ' +
    'their my me us them what which how any some all no not yes please thanks thank hi hello dear so just also than ' +
    'then too very one get got need needs want ok okay'
  ).split(' '),
);

/** The best knowledge entry for each question sentence that has one. */
export function answerFromKnowledge(
  questions: readonly string[],
  knowledge: unknown,
  objective: string,
): KnowledgeAnswer[] {
  const entries = knowledgeEntries(knowledgeWithoutHumanContext(knowledge));
  if (entries.length === 0) return [];
  const topic = new Set(words(objective));
  const answers: KnowledgeAnswer[] = [];
  for (const question of questions) {
    const q = features(question, topic);
    let best: { entry: string; score: number } | null = null;
    for (const entry of entries) {
      const score = overlap(q, features(entry, topic));
      if (score > 0 && (best === null || score > best.score)) best = { entry, score };
    }
    if (best) answers.push({ question, answer: best.entry });
  }
  return answers;
}

/** Knowledge as answerable sentences: "key: value" per object entry, one per sentence of a string. */
export function knowledgeEntries(knowledge: unknown): string[] {
  if (typeof knowledge === 'string') return sentences(knowledge);
  if (!isPlainObject(knowledge)) return [];
  return Object.entries(knowledge).flatMap(([key, value]) => {
    if (typeof value === 'string') return [`${humanKey(key)}: ${value.trim()}`];
    if (typeof value === 'number' || typeof value === 'boolean') return [`${humanKey(key)}: ${String(value)}`];
    if (value === null || value === undefined) return [];
    return [`${humanKey(key)}: ${JSON.stringify(value)}`];
  });
}

function sentences(text: string): string[] {
  return text
    .split(/(?<=[.!?])\s+|\n+/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

function humanKey(key: string): string {
  return key
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .replace(/[_-]+/g, ' ')
    .toLowerCase();
}

interface Features {
  words: Set<string>;
  classes: Set<string>;
}

function features(text: string, topic: ReadonlySet<string>): Features {
  const lower = ` ${text.toLowerCase()} `;
  const found = words(text);
  const classes = new Set<string>();
  for (const [name, members] of Object.entries(CLASSES)) {
    if (members.some((member) => lower.includes(` ${member} `) || found.includes(stem(member)))) classes.add(name);
  }
  // A clock time or a calendar date in an entry answers "when" and "what time" questions.
  if (
    /\b\d{1,2}(:\d{2})?\s*(am|pm)\b|\b(january|february|march|april|may|june|july|august|september|october|november|december)\b/i.test(
      text,
    )
  ) {
    classes.add('time');
  }
  return { words: new Set(found.filter((word) => !topic.has(word))), classes };
}

function overlap(a: Features, b: Features): number {
  let score = 0;
  for (const word of a.words) if (b.words.has(word)) score += 1;
  for (const name of a.classes) if (b.classes.has(name)) score += 1;
  return score;
}

function words(text: string): string[] {
  return (text.toLowerCase().match(/[a-z][a-z0-9'-]*/g) ?? [])
    .map((word) => word.replace(/'s$/, ''))
    .filter((word) => word.length > 1 && !STOP.has(word))
    .map(stem);
}

/** Enough stemming for plurals and simple tenses: "invoices" and "invoice", "starts" and "start". */
function stem(word: string): string {
  if (word.length > 5 && word.endsWith('ing')) return word.slice(0, -3);
  if (word.length > 4 && word.endsWith('ed')) return word.slice(0, -2);
  if (word.length > 3 && word.endsWith('s') && !word.endsWith('ss')) return word.slice(0, -1);
  return word;
}
