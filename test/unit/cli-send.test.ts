import {
  SendInputError,
  resolveSendInput,
  signedUrl,
  withRoomId,
} from '../../src/cli/send-command';
import { COMMAND_TABLE } from '../../src/pipeline/command-table';
import { SAMPLE_NAMES, sampleName, sampleText } from '../../src/tencent/samples';

const codeOf = (run: () => unknown): string | undefined => {
  try {
    run();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return undefined;
};

describe('send: signing', () => {
  it("signs with Tencent's known-answer vector: Sign = sha256(token + RequestTime)", () => {
    const url = signedUrl('https://bridge.test/webhooks/tencent/live?x=1', {
      appId: '1400000001',
      token: 'xxxxyyyy',
      command: 'Live.CallbackAfterCreateRoom',
      nowSeconds: 1669872112.9,
    });
    expect(url.searchParams.get('Sign')).toBe(
      '17773bc39a671d7b9aa835458704d2a6db81360a5940292b587d6d760d484061',
    );
    expect(url.searchParams.get('RequestTime')).toBe('1669872112');
    expect(url.searchParams.get('SdkAppid')).toBe('1400000001');
    expect(url.searchParams.get('CallbackCommand')).toBe('Live.CallbackAfterCreateRoom');
    expect(url.searchParams.get('contenttype')).toBe('json');
    expect(url.searchParams.get('x')).toBe('1');
  });

  it('makes the mistakes it is asked for: stale time, wrong token, no signature', () => {
    const base = { appId: '1', token: 'xxxxyyyy', command: 'C', nowSeconds: 1669872112 };
    const stale = signedUrl('http://b.test/', { ...base, timeOffsetSeconds: -120 });
    expect(stale.searchParams.get('RequestTime')).toBe('1669871992');
    const wrong = signedUrl('http://b.test/', { ...base, wrongSignature: true });
    expect(wrong.searchParams.get('Sign')).not.toBe(
      '17773bc39a671d7b9aa835458704d2a6db81360a5940292b587d6d760d484061',
    );
    expect(wrong.searchParams.get('RequestTime')).toBe('1669872112');
    const unsigned = signedUrl('http://b.test/', { ...base, unsigned: true });
    expect(unsigned.searchParams.has('Sign')).toBe(false);
    expect(unsigned.searchParams.has('RequestTime')).toBe(false);
  });
});

describe('send: input', () => {
  const noStdin = () => {
    throw new Error('stdin read');
  };

  it('has one short fixture name per row of the command table, each with its sample', () => {
    expect(SAMPLE_NAMES.size).toBe(COMMAND_TABLE.length);
    expect(SAMPLE_NAMES.get('create-room')).toBe('Live.CallbackAfterCreateRoom');
    expect(SAMPLE_NAMES.get('before-send-msg')).toBe('Group.CallbackBeforeSendMsg');
    expect(SAMPLE_NAMES.get('send-msg')).toBe('Group.CallbackAfterSendMsg');
    for (const row of COMMAND_TABLE) {
      const name = sampleName(row.commands[0]!);
      const body = JSON.parse(sampleText(name)) as { CallbackCommand: string };
      expect(body.CallbackCommand).toBe(row.commands[0]);
    }
  });

  it('defaults to the create-room sample with a fresh room id, keeping every other byte', () => {
    const first = resolveSendInput({ what: undefined, readStdin: noStdin });
    const second = resolveSendInput({ what: undefined, readStdin: noStdin });
    expect(first.command).toBe('Live.CallbackAfterCreateRoom');
    const roomOf = (body: Buffer) =>
      (JSON.parse(body.toString()) as { RoomInfo: { RoomId: string } }).RoomInfo.RoomId;
    expect(roomOf(first.body)).toMatch(/^cli-[0-9a-f]{12}$/);
    expect(roomOf(first.body)).not.toBe(roomOf(second.body));
    expect(first.body.toString()).toBe(withRoomId(sampleText('create-room'), roomOf(first.body)));
  });

  it('takes an alias by its own name, a file, or stdin; --command wins over the body', () => {
    const alias = resolveSendInput({
      what: 'Live.CallbackMemberStateChanged',
      readStdin: noStdin,
    });
    expect(alias.command).toBe('Live.CallbackMemberStateChanged');
    const piped = resolveSendInput({
      what: '-',
      command: 'Live.CallbackAfterSomethingNew',
      readStdin: () => Buffer.from('not json'),
    });
    expect(piped).toMatchObject({ command: 'Live.CallbackAfterSomethingNew', source: 'stdin' });
    expect(piped.body.toString()).toBe('not json');
  });

  it('refuses with SEND_INPUT_INVALID: no such fixture or file, no command in the body', () => {
    expect(codeOf(() => resolveSendInput({ what: 'no-such', readStdin: noStdin }))).toBe(
      'SEND_INPUT_INVALID',
    );
    expect(
      codeOf(() => resolveSendInput({ what: '-', readStdin: () => Buffer.from('{"a":1}') })),
    ).toBe('SEND_INPUT_INVALID');
    expect(new SendInputError('x').code).toBe('SEND_INPUT_INVALID');
  });

  it('withRoomId replaces every RoomId value and nothing else', () => {
    const text = '{"RoomId":"a","N":144115216631667826,"X":{"RoomId" : "b\\"c"},"RoomIdX":"k"}';
    expect(withRoomId(text, 'r-1')).toBe(
      '{"RoomId":"r-1","N":144115216631667826,"X":{"RoomId" : "r-1"},"RoomIdX":"k"}',
    );
  });
});
