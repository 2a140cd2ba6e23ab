import { classifySmtpError, isDeliverableAddress } from '../../../src/email/mailer';

describe('SMTP outcomes', () => {
  it('treats a permanent refusal of the recipient as a bounce', () => {
    expect(
      classifySmtpError({
        code: 'EENVELOPE',
        message: "Can't send mail - all recipients were rejected: 550 No such user",
        rejectedErrors: [{ code: 'EENVELOPE', responseCode: 550, command: 'RCPT TO' }],
      }),
    ).toMatchObject({ status: 'bounced', responseCode: 550 });
  });

  it('retries only what the server surely never took', () => {
    expect(
      classifySmtpError({ code: 'ESOCKET', command: 'CONN', message: 'connect ECONNREFUSED' }),
    ).toMatchObject({
      status: 'failed',
      retryable: true,
    });
    expect(classifySmtpError({ code: 'EENVELOPE', responseCode: 451, message: 'try later' })).toMatchObject({
      status: 'failed',
      retryable: true,
    });
    // The connection dropped after the message went out: it may have been delivered.
    expect(classifySmtpError({ code: 'ETIMEDOUT', command: 'DATA', message: 'timeout' })).toMatchObject({
      status: 'failed',
      retryable: false,
    });
    expect(classifySmtpError({ code: 'EMESSAGE', responseCode: 554, message: 'spam' })).toMatchObject({
      status: 'failed',
      retryable: false,
    });
  });

  it('checks the address syntax SMTP needs', () => {
    expect(isDeliverableAddress('amy@example.com')).toBe(true);
    expect(isDeliverableAddress('amy.o+tag@mail.example.co.uk')).toBe(true);
    expect(isDeliverableAddress('amy@example')).toBe(false);
    expect(isDeliverableAddress('amy example@example.com')).toBe(false);
    expect(isDeliverableAddress('amy@@example.com')).toBe(false);
    expect(isDeliverableAddress('amy@example.com>\r\nBcc: x@y.com')).toBe(false);
  });
});
