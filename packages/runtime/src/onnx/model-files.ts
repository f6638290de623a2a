// Which .onnx file (and which external data files) each component of a model directory loads, by dtype, with
// transformers.js's names, suffixes and defaults, so a directory exported for transformers.js loads here unchanged.
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, normalize, relative } from 'node:path';
import { RuntimeError } from '../errors.js';
import { externalTensorRefs } from './external-data.js';

/** transformers.js's dtypes, with the file suffix each loads (its DEFAULT_DTYPE_SUFFIX_MAPPING). */
export const DTYPE_SUFFIXES = {
  fp32: '',
  fp16: '_fp16',
  int8: '_int8',
  uint8: '_uint8',
  q8: '_quantized',
  q4: '_q4',
  q2: '_q2',
  q1: '_q1',
  q4f16: '_q4f16',
  q2f16: '_q2f16',
  q1f16: '_q1f16',
  bnb4: '_bnb4',
} as const;

/** A weight format a graph file comes in (`q8` is onnxruntime's dynamic 8-bit quantization, `_quantized.onnx`). */
export type Dtype = keyof typeof DTYPE_SUFFIXES;

/** Every dtype name transformers.js knows, in its order. */
export const DTYPES = Object.keys(DTYPE_SUFFIXES) as Dtype[];

/**
 * A dtype for every component, or one per component (`{ vision_encoder: 'fp16', decoder_model_merged: 'q4' }`;
 * components not named take the default). 'auto' takes config.json's `transformers.js_config.dtype`, else fp32.
 */
export type DtypeOption = Dtype | 'auto' | Partial<Record<string, Dtype | 'auto'>>;

/** How `transformers.js_config.use_external_data_format` may be written: true/number for every file, or per file. */
export type ExternalDataOption = boolean | number | Record<string, boolean | number>;

/** The parts of config.json's `transformers.js_config` that choose files. */
export interface TransformersJsConfig {
  dtype?: DtypeOption;
  device?: string;
  device_config?: Record<string, { dtype?: DtypeOption; use_external_data_format?: ExternalDataOption }>;
  use_external_data_format?: ExternalDataOption;
}

/** One component's files as chosen for loading. */
export interface ComponentFile {
  /** e.g. 'decoder_model_merged'. */
  component: string;
  dtype: Dtype;
  /** Why this dtype: the option, config.json, or the default. */
  dtypeSource: 'option' | 'config.json' | 'default';
  /** Absolute path of the .onnx file. */
  path: string;
  /** Absolute paths of the external data files the graph reads (empty when its weights are inline). */
  externalData: string[];
  /** Bytes of the graph plus its external data: the weights' size on disk. */
  bytes: number;
}

const isDtype = (value: unknown): value is Dtype => typeof value === 'string' && value in DTYPE_SUFFIXES;

function badDtype(value: unknown, where: string): RuntimeError {
  return new RuntimeError(
    'BAD_INPUT',
    `${where}: unknown dtype ${JSON.stringify(value)}; expected one of auto, ${DTYPES.join(', ')}`,
  );
}

/** Check a dtype option (from a flag, an API call or config.json) before any file is touched. */
export function checkDtypeOption(option: unknown, where: string): DtypeOption {
  if (option === 'auto' || isDtype(option)) return option;
  if (option && typeof option === 'object' && !Array.isArray(option)) {
    for (const [component, value] of Object.entries(option)) {
      if (value !== 'auto' && !isDtype(value)) throw badDtype(value, `${where} ${component}`);
    }
    return option as DtypeOption;
  }
  throw badDtype(option, where);
}

/**
 * Parse `--dtype`: one dtype (`q4`), or per component (`vision_encoder=fp16,decoder_model_merged=q4`).
 * Component names are not checked here; the loader reports unknown ones.
 */
export function parseDtypeOption(text: string, where = '--dtype'): DtypeOption {
  const trimmed = text.trim();
  if (!trimmed.includes('=')) return checkDtypeOption(trimmed, where);
  const map: Record<string, string> = {};
  for (const part of trimmed.split(',')) {
    const [component, value, ...rest] = part.split('=').map((s) => s.trim());
    if (!component || !value || rest.length > 0)
      throw new RuntimeError('BAD_INPUT', `${where} ${JSON.stringify(text)}: expected DTYPE or COMPONENT=DTYPE,...`);
    map[component] = value;
  }
  return checkDtypeOption(map, where);
}

/** transformers.js's selectDtype for one component: the option, else config.json's, else fp32 (the CPU default). */
export function selectDtype(
  component: string,
  option: DtypeOption | undefined,
  configDtype: DtypeOption | undefined,
): { dtype: Dtype; source: ComponentFile['dtypeSource'] } {
  const pick = (value: DtypeOption | undefined): Dtype | 'auto' | undefined =>
    typeof value === 'object' ? value[component] : value;
  const fromOption = pick(option);
  if (fromOption !== undefined && fromOption !== 'auto') return { dtype: fromOption, source: 'option' };
  const fromConfig = pick(configDtype);
  if (fromConfig !== undefined && fromConfig !== 'auto') return { dtype: fromConfig, source: 'config.json' };
  return { dtype: 'fp32', source: 'default' };
}

/** Chunks of external data transformers.js expects for a file (its resolveExternalDataFormat). */
export function externalDataChunks(option: ExternalDataOption | undefined, fileName: string, component: string) {
  if (!option) return 0;
  if (typeof option === 'object') {
    if (Object.hasOwn(option, fileName)) return +option[fileName]!;
    if (Object.hasOwn(option, component)) return +option[component]!;
    return 0;
  }
  return +option;
}

/** `X.onnx_data`, `X.onnx_data_1`, ...: transformers.js's names for the chunks of `X.onnx`. */
export function externalDataNames(fileName: string, chunks: number): string[] {
  return Array.from({ length: chunks }, (_, i) => `${fileName}_data${i === 0 ? '' : `_${i}`}`);
}

/** The dtypes a component is present in, from the files of onnx/. */
export function variantsPresent(files: readonly string[], component: string): Dtype[] {
  return DTYPES.filter((d) => files.includes(`${component}${DTYPE_SUFFIXES[d]}.onnx`));
}

// Graphs with inline weights above this size are not scanned for external references (reading them would double the
// load's memory); onnxruntime still loads them, and its error names the file if a reference is broken.
const SCAN_LIMIT_BYTES = 64 * 1024 * 1024;

/**
 * Resolve, for each component, the .onnx file of its dtype and the external data files it reads, and check they are
 * all there and long enough before anything is loaded. Errors name the file and the value.
 */
export async function resolveModelFiles(
  dir: string,
  components: readonly string[],
  options: { dtype?: DtypeOption; config?: TransformersJsConfig; device?: string },
): Promise<ComponentFile[]> {
  const onnxDir = join(dir, 'onnx');
  let files: string[];
  try {
    files = await readdir(onnxDir);
  } catch (cause) {
    throw new RuntimeError('MODEL_FILES', `model folder ${onnxDir} cannot be read: ${(cause as Error).message}`, {
      cause,
    });
  }
  const config = options.config ?? {};
  const deviceConfig = options.device ? config.device_config?.[options.device] : undefined;
  const configDtype = deviceConfig?.dtype ?? config.dtype;
  const externalOption = deviceConfig?.use_external_data_format ?? config.use_external_data_format;
  if (options.dtype !== undefined) checkDtypeOption(options.dtype, 'dtype option');
  if (configDtype !== undefined)
    checkDtypeOption(configDtype, `${join(dir, 'config.json')} transformers.js_config.dtype`);
  if (typeof options.dtype === 'object') {
    const unknown = Object.keys(options.dtype).filter((c) => !components.includes(c));
    if (unknown.length > 0)
      throw new RuntimeError(
        'BAD_INPUT',
        `dtype names ${unknown.map((c) => JSON.stringify(c)).join(', ')}, not a component of this model (${components.join(', ')})`,
      );
  }
  return Promise.all(
    components.map(async (component) => {
      const { dtype, source } = selectDtype(component, options.dtype, configDtype);
      const fileName = `${component}${DTYPE_SUFFIXES[dtype]}.onnx`;
      const path = join(onnxDir, fileName);
      if (!files.includes(fileName)) {
        const present = variantsPresent(files, component);
        const from = source === 'option' ? 'asked for' : source === 'config.json' ? 'config.json asks for' : 'default';
        throw new RuntimeError(
          'MODEL_FILES',
          `${path} is missing (dtype ${dtype}, ${from}); ${component} is present as ${present.length > 0 ? present.join(', ') : 'no dtype at all'}`,
        );
      }
      const graphBytes = await fileSize(path);
      if (graphBytes === 0) throw new RuntimeError('MODEL_FILES', `model file ${path} is empty`);
      // Files config.json promises must exist (transformers.js fetches exactly these names).
      const promised = externalDataNames(fileName, externalDataChunks(externalOption, fileName, component));
      for (const name of promised) {
        if (!files.includes(name))
          throw new RuntimeError(
            'MODEL_FILES',
            `${join(onnxDir, name)} is missing: config.json transformers.js_config.use_external_data_format promises ${promised.length} external data file(s) for ${fileName}`,
          );
      }
      const siblings = files.filter((f) => f.startsWith(`${fileName}_data`) || f.startsWith(`${fileName}.data`));
      const scan = promised.length > 0 || siblings.length > 0 || graphBytes <= SCAN_LIMIT_BYTES;
      const externalData = scan ? await checkExternalData(path, onnxDir) : [];
      let bytes = graphBytes;
      for (const f of externalData) bytes += await fileSize(f);
      return { component, dtype, dtypeSource: source, path, externalData, bytes };
    }),
  );
}

async function fileSize(path: string): Promise<number> {
  try {
    const s = await stat(path);
    if (!s.isFile()) throw new Error('not a regular file');
    return s.size;
  } catch (cause) {
    throw new RuntimeError('MODEL_FILES', `model file ${path} cannot be read: ${(cause as Error).message}`, { cause });
  }
}

/** The external data files a graph reads, each checked to exist, stay inside the folder and hold every tensor. */
async function checkExternalData(path: string, onnxDir: string): Promise<string[]> {
  let refs: ReturnType<typeof externalTensorRefs>;
  try {
    refs = externalTensorRefs(new Uint8Array(await readFile(path)));
  } catch (cause) {
    throw new RuntimeError(
      'MODEL_FILES',
      `${path} cannot be loaded as an ONNX model: it is truncated or not ONNX (${(cause as Error).message})`,
      {
        cause,
      },
    );
  }
  const sizes = new Map<string, number>();
  for (const ref of refs) {
    const file = normalize(join(dirname(path), ref.location));
    const inside = relative(onnxDir, file);
    if (isAbsolute(ref.location) || inside.startsWith('..') || isAbsolute(inside))
      throw new RuntimeError(
        'MODEL_FILES',
        `${path}: tensor ${ref.tensor} points outside the model folder (external data location ${JSON.stringify(ref.location)})`,
      );
    let size = sizes.get(file);
    if (size === undefined) {
      try {
        size = (await stat(file)).size;
      } catch (cause) {
        throw new RuntimeError(
          'MODEL_FILES',
          `${file} is missing: ${basename(path)} keeps tensor ${ref.tensor} there (${(cause as Error).message})`,
          { cause },
        );
      }
      sizes.set(file, size);
    }
    const end = ref.offset + (ref.length ?? 0);
    if (end > size)
      throw new RuntimeError(
        'MODEL_FILES',
        `${file} is truncated: ${basename(path)} reads tensor ${ref.tensor} at bytes ${ref.offset}..${end} but the file has ${size} bytes`,
      );
  }
  return [...sizes.keys()];
}

/**
 * A local model's id: its directory, with the weights named when they are not all fp32 (`dir#q4`, or
 * `dir#vision_encoder=fp16,decoder_model_merged=q4`), since run files and reports key results on it.
 */
export function modelIdFor(dir: string, dtypes: ReadonlyArray<readonly [component: string, dtype: string]>): string {
  const values = dtypes.map(([, d]) => d);
  if (values.every((d) => d === 'fp32')) return dir;
  if (values.every((d) => d === values[0])) return `${dir}#${values[0]}`;
  return `${dir}#${dtypes.map(([c, d]) => `${c}=${d}`).join(',')}`;
}
