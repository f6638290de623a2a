#!/usr/bin/env node
// Installs every publishable package the way a user gets it from the registry, and runs its README's example.
//
// For each workspace package that is not private: `npm pack` it (after the build), then in a fresh project
// (`npm init -y` in a temporary folder) install its tarball ALONE, together with only the tarballs of the @locvlm
// packages it depends on (transitively), as the registry would serve them. Third-party dependencies come from the
// local npm cache when they are there (--prefer-offline); onnxruntime-node's CUDA download is skipped
// (ONNXRUNTIME_NODE_INSTALL=skip). Then, in that project:
//   1. types: a file importing the package is compiled with `"types": []` and skipLibCheck off, so the published
//      declarations must compile without @types/node (or bring what they need themselves);
//   2. the README's example runs as written.
//
// Which README code runs (the convention, also stated in CONTRIBUTING-style terms in the root README):
//   - the section under the README's first level-2 heading that starts with "Example" (`## Example`,
//     `## Example: ...`), up to the next level-2 or level-3 heading;
//   - every fenced block there whose language is ts/typescript is saved as example-N.mts and run with `npx tsx`
//     (an ES module, so top-level await works, as it does for a user who saves it as .mts);
//   - every ```sh / ```bash block there runs with bash (-e), with the project's node_modules/.bin on PATH, so
//     `locvlm ...` runs the installed CLI;
//   - blocks run in order, in the same project folder, so a later block may use files an earlier one wrote;
//   - a block whose info string has the word `not-run` (```ts not-run) is shown to readers but not run: only for code
//     that needs something no package can ship (a model directory), and the README says so next to it.
// A package with no such section fails the check.
//
// Bounded: each install, type check and block has a time limit, and packages are checked two at a time.
// Prints one line per package (`PASS` / `FAIL` with the step and its output) and exits 1 if any failed.
//
// Usage: node scripts/pack-check.mjs [package-name ...]   (default: every publishable package)
// Env: PACK_CHECK_KEEP=1 keeps the temporary folder; PACK_CHECK_VERBOSE=1 prints what each block printed;
// PACK_CHECK_CONCURRENCY (default 2).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname.replace(/\/$/, '');
const INSTALL_TIMEOUT_MS = 240_000;
const TYPES_TIMEOUT_MS = 90_000;
const BLOCK_TIMEOUT_MS = 120_000;
const concurrency = Number(process.env.PACK_CHECK_CONCURRENCY ?? 2);

/** Workspace packages by name: { dir, manifest }. */
function workspaces() {
  const found = new Map();
  for (const group of ['packages', 'apps']) {
    const base = join(root, group);
    if (!existsSync(base)) continue;
    for (const name of readdirSync(base)) {
      const file = join(base, name, 'package.json');
      if (!existsSync(file)) continue;
      const manifest = JSON.parse(readFileSync(file, 'utf8'));
      found.set(manifest.name, { dir: join(base, name), manifest });
    }
  }
  return found;
}

/** The workspace packages `name` needs at run time (dependencies and optionalDependencies), transitively. */
function internalClosure(name, all, seen = new Set()) {
  const { manifest } = all.get(name);
  for (const dep of Object.keys({ ...manifest.dependencies, ...manifest.optionalDependencies })) {
    if (!all.has(dep) || seen.has(dep)) continue;
    seen.add(dep);
    internalClosure(dep, all, seen);
  }
  return seen;
}

/** Run a command; resolves { code, output } (stdout and stderr together), killing it after `timeoutMs`. */
function run(command, args, { cwd, env = {}, timeoutMs }) {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let output = '';
    const collect = (chunk) => {
      output += chunk;
      if (output.length > 200_000) output = output.slice(-100_000);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ code: 1, output: `${output}\n${error.message}` });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({
        code: timedOut ? 124 : (code ?? 1),
        output: timedOut ? `${output}\n(timed out after ${timeoutMs / 1000} s)` : output,
      });
    });
  });
}

/**
 * The runnable blocks of a README's Example section: [{ lang: 'ts' | 'sh', code, line }]. Throws when there is no
 * such section.
 */
export function exampleBlocks(markdown) {
  const lines = markdown.split('\n');
  let inSection = false;
  let sawSection = false;
  let fence;
  const blocks = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (fence) {
      if (line.trimStart().startsWith(fence.marker) && line.trim() === fence.marker) {
        if (inSection && fence.run) blocks.push({ lang: fence.lang, code: fence.body.join('\n'), line: fence.line });
        fence = undefined;
      } else fence.body.push(line);
      continue;
    }
    const open = /^(\s*)(`{3,}|~{3,})\s*([\w-]*)(.*)$/.exec(line);
    if (open) {
      const lang = open[3].toLowerCase();
      const words = open[4].trim().split(/\s+/);
      const kind = lang === 'ts' || lang === 'typescript' ? 'ts' : lang === 'sh' || lang === 'bash' ? 'sh' : undefined;
      fence = {
        marker: open[2],
        lang: kind,
        run: kind !== undefined && !words.includes('not-run'),
        body: [],
        line: i + 1,
      };
      continue;
    }
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    if (heading) {
      const level = heading[1].length;
      if (inSection && level <= 3) inSection = false;
      if (!sawSection && level === 2 && /^Example\b/i.test(heading[2])) {
        inSection = true;
        sawSection = true;
      }
    }
  }
  if (!sawSection) throw new Error('the README has no "## Example" section');
  if (blocks.length === 0) throw new Error("the README's Example section has no runnable ```ts or ```sh block");
  return blocks;
}

function tail(text, lines = 25) {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

async function checkPackage(name, all, tarballs, work, tools) {
  const started = performance.now();
  const { dir } = all.get(name);
  const project = join(work, name.replace(/^@/, '').replace('/', '-'));
  mkdirSync(project, { recursive: true });
  const steps = [];
  const fail = (step, output) => ({
    name,
    ok: false,
    step,
    output,
    seconds: (performance.now() - started) / 1000,
    steps,
  });

  let blocks;
  try {
    blocks = exampleBlocks(readFileSync(join(dir, 'README.md'), 'utf8'));
  } catch (error) {
    return fail('README', error.message);
  }

  const init = await run('npm', ['init', '-y'], { cwd: project, timeoutMs: 30_000 });
  if (init.code !== 0) return fail('npm init -y', init.output);
  writeFileSync(join(project, '.npmrc'), 'fund=false\naudit=false\nupdate-notifier=false\n');

  const deps = [name, ...internalClosure(name, all)].map((dep) => tarballs.get(dep));
  const install = await run(
    'npm',
    ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', ...deps, ...tools],
    { cwd: project, env: { ONNXRUNTIME_NODE_INSTALL: 'skip' }, timeoutMs: INSTALL_TIMEOUT_MS },
  );
  if (install.code !== 0) return fail(`npm install ${deps.map((d) => relative(work, d)).join(' ')}`, install.output);
  steps.push('installed');

  // The published declarations, compiled the way a strict consumer without @types/node would.
  writeFileSync(
    join(project, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'es2022',
        module: 'nodenext',
        moduleResolution: 'nodenext',
        strict: true,
        types: [],
        skipLibCheck: false,
        noEmit: true,
      },
      files: ['types-check.mts'],
    }),
  );
  writeFileSync(join(project, 'types-check.mts'), `import * as pkg from '${name}';\nexport { pkg };\n`);
  if (all.get(name).manifest.types || all.get(name).manifest.exports?.['.']?.import?.types) {
    const types = await run(process.execPath, [join(project, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.'], {
      cwd: project,
      timeoutMs: TYPES_TIMEOUT_MS,
    });
    if (types.code !== 0) return fail('types (tsc with "types": [])', types.output);
    steps.push('types');
  }

  const path = `${join(project, 'node_modules', '.bin')}${delimiter}${process.env.PATH}`;
  for (const [i, block] of blocks.entries()) {
    const where = `README.md line ${block.line}`;
    let result;
    if (block.lang === 'ts') {
      const file = `example-${i + 1}.mts`;
      writeFileSync(join(project, file), `${block.code}\n`);
      result = await run(process.execPath, [join(project, 'node_modules', 'tsx', 'dist', 'cli.mjs'), file], {
        cwd: project,
        env: { PATH: path },
        timeoutMs: BLOCK_TIMEOUT_MS,
      });
    } else {
      result = await run('bash', ['-e', '-c', block.code], {
        cwd: project,
        env: { PATH: path },
        timeoutMs: BLOCK_TIMEOUT_MS,
      });
    }
    if (result.code !== 0) return fail(`example block at ${where} (${block.lang})`, result.output);
    if (process.env.PACK_CHECK_VERBOSE) console.log(`${name} ${where}:\n${tail(result.output, 60)}`);
    steps.push(`${block.lang} block at line ${block.line}`);
  }
  return { name, ok: true, seconds: (performance.now() - started) / 1000, steps };
}

async function main() {
  const started = performance.now();
  const all = workspaces();
  const publishable = [...all.keys()].filter((name) => !all.get(name).manifest.private).sort();
  const chosen = process.argv.length > 2 ? process.argv.slice(2) : publishable;
  for (const name of chosen)
    if (!publishable.includes(name)) throw new Error(`${name} is not a publishable workspace package`);

  const work = mkdtempSync(join(tmpdir(), 'locvlm-pack-check-'));
  const packDir = join(work, 'tarballs');
  mkdirSync(packDir);
  // Pack what the chosen packages need: themselves and their internal dependencies.
  const needed = new Set(chosen.flatMap((name) => [name, ...internalClosure(name, all)]));
  const tarballs = new Map();
  for (const name of [...needed].sort()) {
    const packed = await run('npm', ['pack', '--json', '--pack-destination', packDir], {
      cwd: all.get(name).dir,
      timeoutMs: 120_000,
    });
    if (packed.code !== 0) {
      console.log(`FAIL ${name}: npm pack\n${tail(packed.output)}`);
      process.exit(1);
    }
    const [info] = JSON.parse(packed.output.slice(packed.output.indexOf('[')));
    const files = info.files.map((f) => f.path);
    if (!files.includes('LICENSE')) {
      console.log(`FAIL ${name}: the tarball has no LICENSE`);
      process.exit(1);
    }
    tarballs.set(name, join(packDir, info.filename));
  }
  // The runner and compiler the examples use, at the versions this repository has installed (so from the cache).
  const version = (pkg) => JSON.parse(readFileSync(join(root, 'node_modules', pkg, 'package.json'), 'utf8')).version;
  const tools = [`tsx@${version('tsx')}`, `typescript@${version('typescript')}`];

  console.log(
    `pack-check: ${chosen.length} packages packed into ${packDir}; installing each alone with its @locvlm dependencies`,
  );
  const results = [];
  const queue = [...chosen];
  await Promise.all(
    Array.from({ length: Math.max(1, concurrency) }, async () => {
      while (queue.length > 0) {
        const name = queue.shift();
        const result = await checkPackage(name, all, tarballs, work, tools);
        results.push(result);
        if (result.ok) console.log(`PASS ${name} (${result.seconds.toFixed(0)} s: ${result.steps.join(', ')})`);
        else console.log(`FAIL ${name} at ${result.step} (${result.seconds.toFixed(0)} s)\n${tail(result.output)}`);
      }
    }),
  );
  if (process.env.PACK_CHECK_KEEP) console.log(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
  const failed = results.filter((r) => !r.ok);
  console.log(
    `pack-check: ${results.length - failed.length} of ${results.length} packages install alone and run their README example (${((performance.now() - started) / 1000).toFixed(0)} s)`,
  );
  process.exit(failed.length > 0 ? 1 : 0);
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) await main();
