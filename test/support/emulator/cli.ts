// `npm run emulator [-- --port N] [--client-id ID --client-secret S --token T] [--casing snake] [--data-dir DIR]`:
// runs the Plaud cloud emulator until Ctrl-C, so a person can point the app or the CLI at it.
import { parseArgs } from 'node:util';
import { startEmulator } from './index.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    'client-id': { type: 'string' },
    'client-secret': { type: 'string' },
    token: { type: 'string' },
    casing: { type: 'string', default: 'pascal' },
    'data-dir': { type: 'string' },
    lenient: { type: 'boolean', default: false },
  },
});

const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`--port must be 0..65535, got ${values.port}`);
  process.exit(2);
}
if (values.casing !== 'pascal' && values.casing !== 'snake') {
  console.error(`--casing must be pascal or snake, got ${values.casing}`);
  process.exit(2);
}

const emu = await startEmulator({
  port,
  clientId: values['client-id'],
  clientSecret: values['client-secret'],
  token: values.token,
  casing: values.casing,
  dataDir: values['data-dir'],
  strict: !values.lenient,
});

console.log(`Plaud cloud emulator running
  API base URL:   ${emu.baseUrl}
  API token:      ${emu.token}
  client id:      ${emu.clientId}
  client secret:  ${emu.clientSecret}
  S3 (s3rver):    ${emu.s3Endpoint}  bucket ${emu.bucket}
  stored files:   ${emu.baseUrl}/__emulator/files
Try: PLAUD_API_BASE=${emu.baseUrl} PLAUD_API_TOKEN=${emu.token} plaud-sync push FILE --sn 880000000000000001 --sn-type note
Press Ctrl-C to stop.`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await emu.stop();
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
