// The Studio page: one image, a drawn box (RevLoc), located objects (LocPred), free questions (streamed from
// /v1/chat/completions) and eval reports. Talks only to the server that serves it.
import { type Box, dragToImageBox, imageToDisplayBox, isUsableBox, type Scale } from './geometry.js';
import { streamDeltas } from './sse.js';

interface Info {
  model: string;
  codecName: string;
  /** The model family and the engine running it (a local model), e.g. florence2 on transformers.js. */
  family?: string;
  engine?: string;
  reports: string[];
  demoScene?: boolean;
}

/** The scene the page opens on (GET /studio/api/demo-scene): an image and its ground-truth boxes. */
interface DemoScene {
  name: string;
  image: string;
  width: number;
  height: number;
  objects: Array<{ category: string; box: Box }>;
  suggestion?: string;
}

interface Located {
  question: string;
  answer: string;
  locationText?: string;
  locations: Array<{ location: { box: Box } | { point: [number, number] }; text: string }>;
  issues: Array<{ message: string }>;
}

const $ = <T extends HTMLElement>(id: string) => {
  const element = document.getElementById(id);
  if (!element) throw new Error(`the page has no #${id}`);
  return element as T;
};

const image = $<HTMLImageElement>('image');
const overlay = $<HTMLCanvasElement>('overlay');
const stage = $<HTMLDivElement>('stage');
const status = $<HTMLParagraphElement>('status');
const buttons = ['describe', 'locate', 'ask'].map((id) => $<HTMLButtonElement>(id));

const state: {
  imageUrl?: string;
  box?: Box;
  located: Located['locations'];
  modelName: string;
  /** Ground-truth boxes of the demo scene, drawn until another image is opened. */
  truth: DemoScene['objects'];
} = {
  located: [],
  modelName: '',
  truth: [],
};

function setStatus(text: string): void {
  status.textContent = text;
}

function scale(): Scale {
  return { x: image.naturalWidth / image.clientWidth, y: image.naturalHeight / image.clientHeight };
}

function redraw(): void {
  const context = overlay.getContext('2d');
  if (!context) return;
  overlay.width = image.clientWidth;
  overlay.height = image.clientHeight;
  context.clearRect(0, 0, overlay.width, overlay.height);
  if (!state.imageUrl) return;
  const s = scale();
  context.lineWidth = 2;
  context.strokeStyle = '#1e6fd9';
  context.fillStyle = '#1e6fd9';
  context.font = '12px sans-serif';
  for (const { category, box } of state.truth) {
    const [x1, y1, x2, y2] = imageToDisplayBox(box, s);
    context.strokeRect(x1, y1, x2 - x1, y2 - y1);
    context.fillText(category, x1 + 2, Math.max(12, y1 - 3));
  }
  context.lineWidth = 3;
  if (state.box) {
    const [x1, y1, x2, y2] = imageToDisplayBox(state.box, s);
    context.strokeStyle = '#00a870';
    context.setLineDash([6, 4]);
    context.strokeRect(x1, y1, x2 - x1, y2 - y1);
    context.setLineDash([]);
  }
  context.strokeStyle = '#ff2d55';
  context.fillStyle = '#ff2d55';
  for (const { location } of state.located) {
    if ('box' in location) {
      const [x1, y1, x2, y2] = imageToDisplayBox(location.box, s);
      context.strokeRect(x1, y1, x2 - x1, y2 - y1);
    } else {
      context.beginPath();
      context.arc(location.point[0] / s.x, location.point[1] / s.y, 6, 0, 2 * Math.PI);
      context.fill();
    }
  }
}

function updateButtons(): void {
  const hasImage = state.imageUrl !== undefined;
  const [describe, locate, ask] = buttons;
  if (describe) describe.disabled = !(hasImage && state.box);
  if (locate) locate.disabled = !hasImage;
  if (ask) ask.disabled = !hasImage;
  $('box-text').textContent = state.box ? `box ${state.box.join(',')}` : 'no box';
}

function codecAndTokens(): { codec?: string; maxTokens: number } {
  const codec = $<HTMLInputElement>('codec').value.trim();
  const maxTokens = Number($<HTMLInputElement>('max-tokens').value) || 64;
  return { ...(codec ? { codec } : {}), maxTokens };
}

async function postJson<T>(path: string, body: unknown): Promise<T> {
  const response = await fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = (await response.json()) as T & { error?: { message?: string } };
  if (!response.ok) throw new Error(json.error?.message ?? `HTTP ${response.status}`);
  return json;
}

function showAnswer(target: HTMLElement, result: Located, expectLocations: boolean): void {
  target.replaceChildren();
  const question = document.createElement('div');
  question.className = 'question';
  question.textContent = `Q: ${result.question}`;
  const answer = document.createElement('div');
  answer.textContent = `A: ${result.answer}`;
  target.append(question, answer);
  for (const l of result.locations) {
    const line = document.createElement('div');
    line.className = 'loc';
    const where =
      'box' in l.location
        ? `box ${l.location.box.map(Math.round).join(',')}`
        : `point ${l.location.point.map(Math.round).join(',')}`;
    line.textContent = `${where}  (from "${l.text}")`;
    target.append(line);
  }
  if (result.locations.length === 0 && expectLocations) {
    const none = document.createElement('div');
    none.className = 'muted';
    none.textContent = 'no location in the answer';
    target.append(none);
  }
}

async function busy(button: HTMLButtonElement | undefined, task: () => Promise<void>): Promise<void> {
  setStatus('');
  if (button) button.disabled = true;
  document.body.dataset.busy = 'true';
  try {
    await task();
  } catch (error) {
    setStatus((error as Error).message);
  } finally {
    delete document.body.dataset.busy;
    updateButtons();
  }
}

function openImage(file: File): void {
  const reader = new FileReader();
  reader.onload = () => {
    state.imageUrl = String(reader.result);
    state.box = undefined;
    state.located = [];
    state.truth = [];
    image.classList.remove('small');
    image.src = state.imageUrl;
  };
  reader.onerror = () => setStatus(`cannot read ${file.name}`);
  reader.readAsDataURL(file);
  $('image-info').textContent = file.name;
}

image.addEventListener('load', () => {
  stage.classList.remove('empty');
  $('image-info').textContent += `  ${image.naturalWidth}x${image.naturalHeight}`;
  redraw();
  updateButtons();
});
window.addEventListener('resize', redraw);

$<HTMLInputElement>('image-file').addEventListener('change', (event) => {
  const file = (event.target as HTMLInputElement).files?.[0];
  if (file) openImage(file);
});

// Drawing a box: drag on the overlay.
let dragStart: { x: number; y: number } | undefined;
const pointer = (event: PointerEvent) => {
  const rect = overlay.getBoundingClientRect();
  return { x: event.clientX - rect.left, y: event.clientY - rect.top };
};
overlay.addEventListener('pointerdown', (event) => {
  if (!state.imageUrl) return;
  dragStart = pointer(event);
  overlay.setPointerCapture(event.pointerId);
});
overlay.addEventListener('pointermove', (event) => {
  if (!dragStart) return;
  state.box = dragToImageBox(dragStart, pointer(event), { width: overlay.width, height: overlay.height }, scale());
  redraw();
});
overlay.addEventListener('pointerup', (event) => {
  if (!dragStart) return;
  const box = dragToImageBox(dragStart, pointer(event), { width: overlay.width, height: overlay.height }, scale());
  dragStart = undefined;
  state.box = isUsableBox(box) ? box : undefined;
  redraw();
  updateButtons();
});

$('describe').addEventListener('click', () =>
  busy(buttons[0], async () => {
    if (!state.imageUrl || !state.box) return;
    const result = await postJson<Located>('/studio/api/describe', {
      image: state.imageUrl,
      box: state.box,
      ...codecAndTokens(),
    });
    showAnswer($('describe-answer'), result, false);
  }),
);

$('locate-form').addEventListener('submit', (event) => {
  event.preventDefault();
  void busy(buttons[1], async () => {
    const object = $<HTMLInputElement>('object').value.trim();
    if (!state.imageUrl || !object) return;
    const result = await postJson<Located>('/studio/api/locate', {
      image: state.imageUrl,
      object,
      ...codecAndTokens(),
    });
    state.located = result.locations;
    showAnswer($('locate-answer'), result, true);
    redraw();
  });
});

$('ask-form').addEventListener('submit', (event) => {
  event.preventDefault();
  void busy(buttons[2], async () => {
    const question = $<HTMLInputElement>('question').value.trim();
    if (!state.imageUrl || !question) return;
    const target = $('ask-answer');
    target.textContent = '';
    const response = await fetch('/v1/chat/completions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: state.modelName,
        stream: true,
        max_tokens: codecAndTokens().maxTokens,
        messages: [
          {
            role: 'user',
            content: [
              { type: 'image_url', image_url: { url: state.imageUrl } },
              { type: 'text', text: question },
            ],
          },
        ],
      }),
    });
    if (!response.ok || !response.body) {
      const json = (await response.json().catch(() => ({}))) as { error?: { message?: string } };
      throw new Error(json.error?.message ?? `HTTP ${response.status}`);
    }
    for await (const delta of streamDeltas(response.body)) target.textContent += delta;
    target.dataset.done = 'true';
  });
});

// Eval reports: a local file (shown from a blob URL) or one the server lists. The frame is sandboxed without
// same-origin, so a report's scripts run but cannot reach this page or the server's API.
const report = $<HTMLIFrameElement>('report');
$<HTMLInputElement>('report-file').addEventListener('change', (event) => {
  const file = (event.target as HTMLInputElement).files?.[0];
  if (!file) return;
  if (report.src.startsWith('blob:')) URL.revokeObjectURL(report.src);
  report.src = URL.createObjectURL(file);
});
$<HTMLSelectElement>('report-list').addEventListener('change', (event) => {
  const path = (event.target as HTMLSelectElement).value;
  if (path) report.src = `/reports/${path.split('/').map(encodeURIComponent).join('/')}`;
});

async function loadInfo(): Promise<void> {
  const response = await fetch('/studio/api/info');
  if (!response.ok) throw new Error(`the server answered ${response.status} to /studio/api/info`);
  const info = (await response.json()) as Info;
  state.modelName = info.model;
  const family = info.family ? ` · ${info.family}${info.engine ? ` (${info.engine})` : ''}` : '';
  $('model-info').textContent = `model ${info.model}${family} · locations in ${info.codecName}`;
  const list = $<HTMLSelectElement>('report-list');
  for (const path of info.reports) {
    const option = document.createElement('option');
    option.value = path;
    option.textContent = path;
    list.append(option);
  }
  list.hidden = info.reports.length === 0;
  if (info.demoScene) await openDemoScene();
  document.body.dataset.ready = 'true';
}

/** Open the server's demo scene with its ground-truth boxes drawn, and suggest an object to locate. */
async function openDemoScene(): Promise<void> {
  const response = await fetch('/studio/api/demo-scene');
  if (!response.ok) return; // no scene: the page opens empty, as with any server
  const scene = (await response.json()) as DemoScene;
  state.imageUrl = scene.image;
  state.box = undefined;
  state.located = [];
  state.truth = scene.objects;
  // Small scenes (the shapes world is 64 px) are shown enlarged, pixels kept sharp.
  image.classList.toggle('small', scene.width < 320);
  const loaded = new Promise<void>((resolve) => image.addEventListener('load', () => resolve(), { once: true }));
  image.src = scene.image;
  $('image-info').textContent = `${scene.name} (ground truth in blue)`;
  if (scene.suggestion) $<HTMLInputElement>('object').value = scene.suggestion;
  await loaded;
}

loadInfo().catch((error: Error) => setStatus(error.message));
updateButtons();
