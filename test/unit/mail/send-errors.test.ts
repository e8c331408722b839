import { AgentmailApiError } from '../../../src/mail/agentmail.client';
import { idempotencyKey, mapAgentmailError } from '../../../src/mail/agentmail.transport';
import { TerminalSendError } from '../../../src/mail/mail.types';
import { mapSendError } from '../../../src/mail/smtp.transport';

const smtpError = (props: object) => Object.assign(new Error('smtp failed'), props);

describe('mapSendError (SMTP)', () => {
  it.each([
    [{ responseCode: 550, response: '550 5.1.1 User unknown', code: 'EENVELOPE' }],
    [{ responseCode: 554, response: '554 5.7.1 Spam', code: 'EMESSAGE' }],
    [{ responseCode: 552, response: '552 5.3.4 Too big', code: 'EMESSAGE' }],
  ])('treats %j as final', (props) => {
    const mapped = mapSendError(smtpError(props));
    expect(mapped).toBeInstanceOf(TerminalSendError);
    expect(mapped.message).toBe(props.response);
  });

  it.each([
    [{ responseCode: 451, response: '451 4.3.0 Later', code: 'EMESSAGE' }],
    [{ responseCode: 421, response: '421 closing', code: 'EPROTOCOL' }],
    [{ responseCode: 503, response: '503 5.5.1 Bad sequence', code: 'EPROTOCOL' }],
    [{ responseCode: 535, response: '535 5.7.8 Bad credentials', code: 'EAUTH' }],
    [{ code: 'ECONNECTION' }],
    [{ code: 'ETIMEDOUT' }],
  ])('retries %j', (props) => {
    const mapped = mapSendError(smtpError(props));
    expect(mapped).not.toBeInstanceOf(TerminalSendError);
    expect(mapped.cause).toBeDefined();
  });
});

describe('mapAgentmailError', () => {
  it.each([400, 403, 404, 409, 422])('%i is final', (status) => {
    expect(mapAgentmailError(new AgentmailApiError(status, null, `AgentMail ${status}`))).toBeInstanceOf(
      TerminalSendError,
    );
  });
  it.each([401, 408, 429, 500, 502])('%i is retried', (status) => {
    expect(mapAgentmailError(new AgentmailApiError(status, null, `AgentMail ${status}`))).not.toBeInstanceOf(
      TerminalSendError,
    );
  });
  it('retries network failures', () => {
    expect(mapAgentmailError(new TypeError('fetch failed'))).not.toBeInstanceOf(TerminalSendError);
  });
});

describe('idempotencyKey', () => {
  it('keeps only the characters AgentMail allows, deterministically', () => {
    const key = idempotencyKey('<3f2a9c1e-0b1d-4c55-9e77-1a2b3c4d5e6f@offload.example>');
    expect(key).toBe('3f2a9c1e-0b1d-4c55-9e77-1a2b3c4d5e6f_offload.example');
    expect(key).toMatch(/^[A-Za-z0-9._~-]{1,256}$/);
  });
});
