/**
 * Hostile code looking for the service's secrets: every process it can see must carry none of
 * the service's environment (in /proc/<pid>/environ or cmdline), and it may not build a user
 * namespace of its own (where it would be root and reach more of the kernel).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { freshScope, prepareRuntime, RUNTIME_KINDS } from "../runtime/runtimes.ts";
import { type RealService, runInNewSession, startService } from "./real-service.ts";

/** The service's token (and another variable of its environment): must never be readable from inside. */
const CANARY = `canary-${crypto.randomUUID()}`;

const READ_EVERY_PROCESS = `import os
seen = []
for pid in sorted(p for p in os.listdir('/proc') if p.isdigit()):
    for part in ('environ', 'cmdline'):
        try:
            with open(f'/proc/{pid}/{part}', 'rb') as f: data = f.read()
        except OSError as error:
            data = b''
        seen.append(f'{pid}/{part}: {data!r}')
print('\\n'.join(seen))`;

const NESTED_USER_NAMESPACE = `import ctypes, subprocess
libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWUSER = 0x10000000
print('unshare():', 'ok' if libc.unshare(CLONE_NEWUSER) == 0 else f'errno {ctypes.get_errno()}')
run = subprocess.run(['unshare', '-Urn', 'id', '-u'], capture_output=True, text=True)
print('unshare -Urn:', run.returncode, run.stdout.strip())`;

for (const kind of RUNTIME_KINDS) {
  describe(`${kind} runtime: the code sees no secret`, () => {
    let service: RealService;
    beforeAll(async () => {
      await prepareRuntime(kind);
      // The real process, with a distinctive token and one more secret in its environment.
      service = await startService(kind, freshScope(kind, 252_000), { SANDBOX_TOKEN: CANARY, SANDBOX_OTHER_SECRET: CANARY });
    }, 300_000);
    afterAll(async () => {
      service.proc.kill("SIGTERM");
      await service.proc.exited;
    });

    test("no visible process's environ or cmdline holds the service's environment", async () => {
      const result = await runInNewSession(service.base, READ_EVERY_PROCESS, CANARY);
      expect(result.status).toBe("completed");
      // The probe did read something (its own process at least), so an empty answer cannot pass.
      expect(result.stdout).toContain("/runner/runner.py");
      expect(result.stdout).not.toContain(CANARY);
      expect(result.stdout).not.toContain("SANDBOX_");
    });

    test("a nested user namespace cannot be made", async () => {
      const result = await runInNewSession(service.base, NESTED_USER_NAMESPACE, CANARY);
      expect(result.stdout).toMatch(/^unshare\(\): errno \d+\n/);
      expect(result.stdout).toMatch(/unshare -Urn: [1-9]\d* \n/);
    });
  });
}
