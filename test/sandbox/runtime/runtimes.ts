/**
 * The runtimes under test, each in a scope of its own (a bwrap uid range, a
 * Docker label) so tests never touch a real service's sandboxes or each other's.
 * Also used by start-then-exit.ts, a separate process, hence the string form.
 */
import Docker from "dockerode";
import { BwrapRuntime } from "../../../sandbox/src/runtime/bwrap.ts";
import { SCOPE_LABEL } from "../../../sandbox/src/runtime/docker-container.ts";
import { DockerRuntime } from "../../../sandbox/src/runtime/docker.ts";
import { processesOwnedBy } from "../../../sandbox/src/runtime/host-processes.ts";
import type { SandboxRuntime } from "../../../sandbox/src/runtime/types.ts";
import { ensureSandboxImage } from "../../../scripts/sandbox-image.ts";

/** Built by scripts/sandbox-image.ts from sandbox/runtime.Dockerfile; tests never touch abp-sandbox:latest. */
export const TEST_IMAGE = "abp-sandbox:test";

export type RuntimeKind = SandboxRuntime["kind"];
export const RUNTIME_KINDS: RuntimeKind[] = ["bwrap", "docker"];

/** `scope`: for bwrap the first uid of a 100-uid range, for docker the label value. */
export interface ScopedRuntime {
  runtime: SandboxRuntime;
  /** Sandboxes of this scope still running (started by any process). */
  live(): Promise<number>;
  /** Sandboxes of this scope that exist in any state (docker keeps stopped containers until removed). */
  leftovers(): Promise<number>;
}

export function scopedRuntime(kind: RuntimeKind, scope: string): ScopedRuntime {
  if (kind === "bwrap") {
    const uidBase = Number(scope);
    // One host uid per live sandbox; a bwrap sandbox that ended leaves nothing.
    const live = async () => new Set((await processesOwnedBy((uid) => uid >= uidBase && uid < uidBase + 100)).map((p) => p.uid)).size;
    return { runtime: new BwrapRuntime({ uidBase, uidCount: 100 }), live, leftovers: live };
  }
  const runtime = new DockerRuntime({ image: TEST_IMAGE, scope });
  const labelled = (all: boolean) => new Docker().listContainers({ all, filters: { label: [`${SCOPE_LABEL}=${scope}`] } });
  return { runtime, live: async () => (await labelled(false)).length, leftovers: async () => (await labelled(true)).length };
}

/** A fresh scope: a uid range picked from `bwrapBase` (distinct per test file), or a random label. */
export function freshScope(kind: RuntimeKind, bwrapBase: number): string {
  return kind === "bwrap" ? String(bwrapBase) : `test-${crypto.randomUUID()}`;
}

/** Everything a runtime needs before its first start; a missing piece fails with how to install it. */
export async function prepareRuntime(kind: RuntimeKind): Promise<void> {
  if (kind === "docker") await ensureSandboxImage(TEST_IMAGE);
}
