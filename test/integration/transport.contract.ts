// What every mail transport must do (SPEC §6), as one suite run against each of them (transport-contract.test.ts):
// the outreach sent and recorded on the case thread, follow-ups and our answers threaded in the same conversation, a
// reply matched to its case and evaluated, attachments' metadata stored with a working link, a bounce failing the case
// where the transport reports bounces, and the same inbound message processed once however often it arrives.
// Cases run with the rules agent (RULES.md): "Here is ..." completes, a question asks the human, other text is answered.
import { randomBytes } from 'node:crypto';
import { CreateCaseDocument } from '../../schema/generated/graphql';
import { timelineTypes } from '../helpers/case.probe';
import { caseInput } from '../helpers/offload';
import { VENDOR } from '../helpers/reply.helper';
import type { TransportHarness, TransportUnderTest } from '../helpers/transport.harness';
import { waitFor } from '../helpers/wait';

/** An hour of case time is a second: cases that must not follow up meanwhile wait a year. */
const NO_FOLLOW_UP = { followUpDelayHours: 8760 };

export function describeTransportContract(transport: TransportUnderTest): void {
  describe(`the ${transport.name} transport`, () => {
    let h: TransportHarness;

    beforeAll(async () => {
      h = await transport.start();
    }, 30_000);
    afterAll(async () => h?.stop());

    /** A case whose outreach has gone out. */
    async function runningCase(overrides: Record<string, unknown> = NO_FOLLOW_UP): Promise<string> {
      const { createCase } = await h.app.client.ok(CreateCaseDocument, { input: caseInput(overrides) });
      await h.probe.status(createCase.id, 'RUNNING');
      return createCase.id;
    }

    /** The transport's ids of the case's sent mail, as Offload recorded them. */
    async function recordedIds(caseId: string): Promise<Array<string | null>> {
      const outbound = await h.probe.outbound(caseId);
      return outbound.filter((m) => m.status === 'sent').map((m) => m.provider_message_id);
    }

    it('sends the outreach to the counterparty and records it, with the id it went out with, on the thread', async () => {
      const id = await runningCase();
      const sent = await h.sent(id);
      expect(sent).toHaveLength(1);
      expect(sent[0]).toMatchObject({ to: [VENDOR], answers: null });
      const running = await h.probe.detail(id);
      expect(running.attemptCount).toBe(1);
      expect(timelineTypes(running)).toEqual(['case.created', 'outreach.sent']);
      expect(running.messages).toEqual([
        expect.objectContaining({ direction: 'outbound', to: [VENDOR], subject: expect.any(String) }),
      ]);
      expect(running.messages[0]!.sentAt).not.toBeNull();
      if (sent[0]!.subject !== null) expect(sent[0]!.subject).toBe(running.messages[0]!.subject);
      expect(await recordedIds(id)).toEqual([sent[0]!.id]);
    });

    it('threads a follow-up in the conversation of the outreach', async () => {
      const { createCase } = await h.app.client.ok(CreateCaseDocument, {
        input: caseInput({ followUpDelayHours: 1, maxAttempts: 1 }),
      });
      const failed = await h.probe.status(createCase.id, 'FAILED');
      expect(failed.resultStatus).toBe('max_retries');
      const sent = await h.sent(createCase.id);
      expect(sent).toHaveLength(2);
      const [outreach, followUp] = sent;
      expect(followUp).toMatchObject({ to: [VENDOR], answers: outreach!.id, conversation: outreach!.conversation });
      const subject = failed.messages[0]!.subject;
      expect(failed.messages.map((m) => [m.direction, m.subject])).toEqual([
        ['outbound', subject],
        ['outbound', `Re: ${subject}`],
      ]);
      // Sent with the thread's subject, or none for the provider to take the thread's (AgentMail).
      expect([null, `Re: ${subject}`]).toContain(followUp!.subject);
      expect(await recordedIds(createCase.id)).toEqual([outreach!.id, followUp!.id]);
    });

    it('matches a reply to its case and completes the case with the result', async () => {
      const id = await runningCase();
      await h.reply(id, 'Here is the signed W-9.');
      const done = await h.probe.status(id, 'COMPLETED');
      expect(done).toMatchObject({
        resultStatus: 'goal_achieved',
        result: { summary: 'Here is the signed W-9.' },
        nextActionAt: null,
      });
      expect(timelineTypes(done)).toEqual(['case.created', 'outreach.sent', 'reply.received', 'case.completed']);
      const inbound = done.messages.filter((m) => m.direction === 'inbound');
      expect(inbound).toHaveLength(1);
      expect(inbound[0]!.from).toContain(VENDOR);
      expect(inbound[0]!.text).toContain('Here is the signed W-9.');
    });

    it('answers a reply in the same conversation, naming the reply it answers', async () => {
      const id = await runningCase();
      // No rule matches: the rules agent answers with a restatement of the objective.
      const theirs = await h.reply(id, 'Thanks for your email.');
      const answered = await h.probe.until(id, 'our answer', (c) => c.attemptCount === 2);
      expect(answered.status).toBe('RUNNING');
      expect(timelineTypes(answered)).toEqual([
        'case.created',
        'outreach.sent',
        'reply.received',
        'reply.requested',
        'reply.sent',
      ]);
      const sent = await h.sent(id);
      expect(sent).toHaveLength(2);
      const [outreach, ours] = sent;
      expect(ours).toMatchObject({ to: [VENDOR], answers: theirs.id, conversation: outreach!.conversation });
      expect((await h.probe.outbound(id)).map((m) => m.purpose)).toEqual(['outreach', 'reply']);
    });

    it("stores a reply's attachment metadata on the case, and its link serves the file", async () => {
      const id = await runningCase();
      const content = randomBytes(20_000);
      const theirs = await h.reply(id, 'Here is the signed W-9, attached.', {
        name: 'w9-signed.pdf',
        contentType: 'application/pdf',
        content,
      });
      const done = await h.probe.status(id, 'COMPLETED');
      expect(done.attachments).toEqual([
        expect.objectContaining({ name: 'w9-signed.pdf', size: content.length, type: 'application/pdf' }),
      ]);
      const inbound = done.messages.find((m) => m.direction === 'inbound');
      // It names the message it came with: by our id, or by the provider's where the provider keeps it (AgentMail).
      expect([inbound!.id, theirs.id]).toContain(done.attachments[0]!.messageId);
      const download = await fetch(done.attachments[0]!.download.url);
      expect(download.status).toBe(200);
      expect(Buffer.from(await download.arrayBuffer()).equals(content)).toBe(true);
    });

    it('processes the same inbound message once, however often it is delivered', async () => {
      const id = await runningCase();
      const theirs = await h.reply(id, 'Would Tuesday work for you?');
      await theirs.again();
      await theirs.again();
      // Each delivery above was answered only once stored (or recognised): nothing of them is still in flight.
      expect(await h.probe.inboundCount(id)).toBe(1);
      const asked = await h.probe.status(id, 'INPUT_NEEDED');
      await waitFor('every job of the case to settle', () => h.probe.settled(id));
      const after = await h.probe.detail(id);
      expect(after.status).toBe('INPUT_NEEDED');
      expect(timelineTypes(after)).toEqual(['case.created', 'outreach.sent', 'reply.received', 'case.input_needed']);
      expect(after.messages.filter((m) => m.direction === 'inbound')).toHaveLength(1);
      expect(asked.inputRequest?.question).toContain('Tuesday');
    });

    if (transport.bounces)
      it('fails the case BOUNCED when its mail bounces, storing nothing as a reply', async () => {
        const id = await runningCase();
        const reason = await h.bounce!(id);
        const failed = await h.probe.status(id, 'FAILED');
        expect(failed.resultStatus).toBe('BOUNCED');
        expect(failed.failureReason).toContain(reason);
        expect(failed.messages.filter((m) => m.direction === 'inbound')).toHaveLength(0);
        expect(failed.messages[0]).toMatchObject({ direction: 'outbound', deliveryStatus: 'bounced' });
      });
  });
}
