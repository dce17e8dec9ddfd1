import { join, relative, resolve } from 'node:path';
import { startDevStack, type DevStack } from '../dev-stack';
import { stateOf, variantSummary } from './experiment-format';
import { STACK_SERVICES } from '../services';
import { repositoryRoot } from '../environment/verdict-home';
import type { CommandResult } from './command';

/** `verdict dev`: runs the whole platform locally until interrupted. */
export async function devCommand(flags: { dir?: string; ports?: string }): Promise<CommandResult> {
  const dir = resolve(flags.dir ?? '.verdict');
  const ports = flags.ports === undefined ? undefined : parsePorts(flags.ports);
  let exitCode = 0;
  let finished: () => void = () => undefined;
  const done = new Promise<void>((resolveDone) => (finished = resolveDone));
  // Before anything starts: a Ctrl-C during start-up must still stop what was started.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => finished());
  const stack = await startDevStack({
    dir,
    ports,
    output: process.stdout,
    colour: process.stdout.isTTY === true,
    onUnexpectedExit: (service, code, signal) => {
      process.stderr.write(
        `verdict dev: ${service} exited unexpectedly (${signal ?? `code ${code}`}); stopping the stack\n`,
      );
      exitCode = 1;
      finished();
    },
  });
  process.stdout.write(
    `verdict dev: all ${stack.services.length} services ready\n` +
      stack.services
        .map(
          (s) =>
            `  ${s.name.padEnd(20)} grpc 127.0.0.1:${s.grpcPort}  http 127.0.0.1:${s.opsPort}\n`,
        )
        .join('') +
      `  PKI: ${stack.pki.dir} (client certificate: ${stack.pki.client.cert})\n` +
      demoText(stack, cliInvocation()) +
      `Press Ctrl-C to stop.\n`,
  );
  await done;
  process.stdout.write('verdict dev: stopping\n');
  await stack.stop();
  process.stdout.write('verdict dev: stopped\n');
  return { exitCode };
}

/** How to run this CLI from the current directory: `npx verdict` inside the repository. */
function cliInvocation(): string {
  const root = repositoryRoot(__dirname);
  if (root === undefined) return 'verdict';
  const inside = !relative(root, process.cwd()).startsWith('..');
  return inside ? 'npx verdict' : `npx --prefix ${root} verdict`;
}

/** What `verdict dev` prints about the demo experiment, with commands to try it through the router. */
export function demoText(stack: DevStack, verdict = 'verdict'): string {
  if (stack.demo === undefined) {
    return `verdict dev: the demo experiment was not seeded: ${stack.demoError ?? 'seeding was off'}\n`;
  }
  const { experiment, created } = stack.demo;
  const port = (name: string) => stack.services.find((s) => s.name === name)!;
  const router = port('router');
  const analyzer = port('experiment-analyzer');
  // Flags only where the stack does not run on the defaults the commands assume.
  const pki =
    resolve(stack.pki.dir) === resolve(join('.verdict', 'pki')) ? '' : ` --pki ${stack.pki.dir}`;
  const at = (service: { grpcPort: number }, defaultPort: number) =>
    service.grpcPort === defaultPort ? '' : ` --address 127.0.0.1:${service.grpcPort}`;
  const metrics = router.opsPort === 9101 ? '' : ` --metrics 127.0.0.1:${router.opsPort}`;
  return (
    `Demo experiment ${experiment.id} (${experiment.name} on ${experiment.model}, ` +
    `${created ? 'created now' : 'already there'}): ${stateOf(experiment.state)}; ${variantSummary(experiment)}\n` +
    (stack.demoRegistry?.created === true
      ? `Registry: pushed spam versions 1 and 2, spam@production -> 1 (a promotion moves it)\n`
      : '') +
    `Try it through the router at 127.0.0.1:${router.grpcPort} (sticky by the x-verdict-unit header):\n` +
    `  ${verdict} infer${at(router, 50051)}${pki} --model spam --unit alice --text "WIN a FREE prize, click now"\n` +
    `  ${verdict} routes show${at(analyzer, 50054)}${metrics}${pki}\n` +
    `  ${verdict} experiment results ${experiment.id}${at(analyzer, 50054)}${pki}\n` +
    `  ${verdict} drift status${at(analyzer, 50054)}${pki} --model spam --version 1\n` +
    (analyzer.grpcPort === 50054
      ? `Dashboard: https://127.0.0.1:${stack.dashboard.port}/?token=${stack.dashboard.token} ` +
        `(the certificate is from the dev CA ${stack.pki.caCert}: trust it or accept the warning)\n` +
        `Demo: npm run demo (traffic, delayed outcomes, a decision, then drift)\n`
      : '')
  );
}

/** `router=50061:9201,audit=50065:9205` -> per-service ports. */
export function parsePorts(value: string): Record<string, { grpc: number; ops: number }> {
  const known = new Set(STACK_SERVICES.map((service) => service.name));
  const ports: Record<string, { grpc: number; ops: number }> = {};
  for (const entry of value.split(',').filter(Boolean)) {
    const match = /^([a-z-]+)=(\d+):(\d+)$/.exec(entry.trim());
    if (match === null || !known.has(match[1])) {
      throw new Error(
        `--ports: expected name=grpcPort:opsPort with name one of ${[...known].join(', ')}, got "${entry}"`,
      );
    }
    ports[match[1]] = { grpc: Number(match[2]), ops: Number(match[3]) };
  }
  return ports;
}
