// Backend answers shared by the UI tests: what the real commands return, in their shapes.

export const INFO = { version: "0.1.0", endpoint: "http://127.0.0.1:9999", cacheDir: "/home/ada/.cache/huggingface/hub", hasToken: false, offline: false, online: true };

export const SETTINGS = {
  endpoint: { value: "http://127.0.0.1:9999", source: "environment", variable: "HF_ENDPOINT" },
  cacheDir: { value: "/home/ada/.cache/huggingface/hub", source: "default", variable: null },
  token: null,
  tokenPath: "/home/ada/.cache/huggingface/token",
  concurrentJobs: 2,
  connectionsPerFile: 16,
  connectionsPerFileMax: 64,
  maxDownloadRate: null,
  offline: false,
};

/** @param {string} id */
export const listing = (id, extra = {}) => ({ id, author: id.split("/")[0], downloads: 1200, likes: 40, gated: "no", lastModified: "2026-01-02T03:04:05.000Z", pipelineTag: "text-generation", tags: [], parameters: null, ggufFiles: [], ...extra });

/** Other apps' models as `survey_other_apps` answers: none found. */
export const NO_OTHER_APPS = { survey: { stores: [] }, twiceBytes: 0, reclaimableBytes: 0, folders: [] };

const BLOB = "/home/ada/.cache/huggingface/hub/models--lab-org--tiny-gpt/blobs/" + "a".repeat(64);
/** A copy shared by hard link, one kept twice, one only another app has (its origin known). */
export const OTHER_APPS = {
  survey: {
    stores: [
      { app: "ollama", appName: "Ollama", root: "/home/ada/.ollama/models", models: [{ app: "ollama", name: "hf.co/lab-org/tiny-gpt:Q4_K_M", origin: "lab-org/tiny-gpt", files: [{ path: "/home/ada/.ollama/models/blobs/sha256-" + "a".repeat(64), size: 2.15e9, sha256: "a".repeat(64), sameAs: { repo: "lab-org/tiny-gpt", path: "tiny-Q4_K_M.gguf", blob: BLOB }, sameAsOther: null, sharing: "shared" }] }] },
      { app: "lmStudio", appName: "LM Studio", root: "/home/ada/.lmstudio/models", models: [
        { app: "lmStudio", name: "lab-org/tiny-gpt/tiny-Q4_K_M.gguf", origin: "lab-org/tiny-gpt", files: [{ path: "/home/ada/.lmstudio/models/lab-org/tiny-gpt/tiny-Q4_K_M.gguf", size: 2.15e9, sha256: "a".repeat(64), sameAs: { repo: "lab-org/tiny-gpt", path: "tiny-Q4_K_M.gguf", blob: BLOB }, sameAsOther: null, sharing: "reclaimable" }] },
        { app: "lmStudio", name: "other/model-GGUF/m-Q8_0.gguf", origin: "other/model-GGUF", files: [{ path: "/home/ada/.lmstudio/models/other/model-GGUF/m-Q8_0.gguf", size: 4e9, sha256: null, sameAs: null, sameAsOther: null, sharing: null }] },
      ] },
    ],
  },
  twiceBytes: 2.15e9,
  reclaimableBytes: 2.15e9,
  folders: ["/srv/models"],
};

export const EMPTY_CACHE = { scan: { root: "/home/ada/.cache/huggingface/hub", repos: [], sizeOnDisk: 0, problems: [] }, freeBytes: 50e9 };

export const DIAGNOSTICS = {
  version: "0.1.0",
  platform: "linux x86_64",
  settings: SETTINGS,
  online: true,
  logDir: "/home/ada/.local/share/modelshelf/logs",
  logFile: "/home/ada/.local/share/modelshelf/logs/modelshelf.2026-11-27.log",
  memoryTotal: 16 * 2 ** 30,
  text: "Modelshelf 0.1.0\nplatform: linux x86_64\nendpoint: http://127.0.0.1:9999 (from environment)\nlog: /home/ada/.local/share/modelshelf/logs/modelshelf.2026-11-27.log",
};

/** This machine as `machine_profile` answers: 16 GiB of RAM, no graphics card. */
export const MACHINE = { ram: 16 * 2 ** 30, gpus: [], unified: false };
/** A machine with an 8 GiB NVIDIA card. */
export const MACHINE_GPU8 = { ram: 32 * 2 ** 30, gpus: [{ vendor: "nvidia", name: "NVIDIA GeForce RTX 4060", memory: 8 * 2 ** 30 }], unified: false };

/** The commands every view calls on start. */
export function baseTable(extra = {}) {
  return {
    app_info: INFO,
    get_settings: SETTINGS,
    diagnostics: DIAGNOSTICS,
    check_connection: true,
    list_jobs: [],
    list_cache: EMPTY_CACHE,
    survey_other_apps: NO_OTHER_APPS,
    machine_profile: MACHINE,
    search_models: { models: [listing("acme/tiny-model")], next: null },
    ...extra,
  };
}

/** @param {string} id @param {object} progress @param {object} [request] @param {object | null} [entry] */
export const jobView = (id, progress, request = {}, entry = null) => ({
  id,
  request: { repoType: "model", repo: "acme/tiny-model", revision: null, files: ["model.safetensors"], include: [], exclude: [], ...request },
  progress: { jobId: id, state: "running", live: true, phase: "downloading", bytesDone: 0, bytesTotal: 0, speed: 0, etaSeconds: null, files: [], retry: null, error: null, ...progress },
  entry,
  createdAt: Date.now(),
});

const GGUFS = ["Qwen3-8B-Q4_K_M.gguf", "Qwen3-8B-Q8_0.gguf", "Qwen3-8B-BF16-00001-of-00002.gguf", "Qwen3-8B-BF16-00002-of-00002.gguf"];
/** Search results with what Browse shows: parameters, GGUF files (one split), gated, unknown. */
export const RICH_RESULTS = [
  listing("unsloth/Qwen3-8B-GGUF", { parameters: 8.19e9, ggufFiles: GGUFS }),
  listing("Qwen/Qwen3-8B", { parameters: 8.19e9 }),
  listing("meta-llama/Llama-3.3-70B-Instruct", { parameters: 70.6e9, gated: "manual" }),
  listing("acme/unknown-size"),
];
/** A Library holding one of {@link RICH_RESULTS}. */
export const LIBRARY_WITH_QWEN = { ...EMPTY_CACHE, scan: { ...EMPTY_CACHE.scan, repos: [{ repoType: "model", repoId: "Qwen/Qwen3-8B", folder: "models--Qwen--Qwen3-8B", sizeOnDisk: 16e9, nbFiles: 5, lastAccessed: 0, lastModified: 0, revisions: [], problems: [] }] } };
/** @param {string} path @param {number} size @param {string | null} blob @param {boolean} [linkedElsewhere] */
export const cachedFile = (path, size, blob, linkedElsewhere = false) => ({ path, size, blob, lastAccessed: 0, lastModified: 0, linkedElsewhere });
const NOW = Date.now() / 1000;
/** A GGUF repository with two revisions sharing one blob (the Q4_K_M), a split Q8_0, and two
 * smaller repositories: every way the Library can delete, sort and search. */
export const PER_FILE_LIBRARY = {
  scan: {
    root: "/home/ada/.cache/huggingface/hub",
    repos: [
      {
        repoType: "model", repoId: "zeta/big-GGUF", folder: "models--zeta--big-GGUF", sizeOnDisk: 9.0000019e9, nbFiles: 5, lastAccessed: NOW - 86400 * 3, lastModified: NOW - 86400 * 3, problems: [],
        revisions: [
          { commit: "c".repeat(40), refs: ["main"], sizeOnDisk: 9.000001e9, lastModified: 0, files: [
            cachedFile("README.md", 1000, "r1"),
            cachedFile("big-Q4_K_M.gguf", 4e9, "q4"),
            cachedFile("Q8_0/big-Q8_0-00001-of-00002.gguf", 2.5e9, "p1"),
            cachedFile("Q8_0/big-Q8_0-00002-of-00002.gguf", 2.5e9, "p2"),
          ] },
          { commit: "d".repeat(40), refs: [], sizeOnDisk: 4.0000009e9, lastModified: 0, files: [cachedFile("README.md", 900, "r0"), cachedFile("big-Q4_K_M.gguf", 4e9, "q4")] },
        ],
      },
      {
        repoType: "model", repoId: "moon/mid", folder: "models--moon--mid", sizeOnDisk: 1e9, nbFiles: 1, lastAccessed: NOW - 60, lastModified: NOW - 60, problems: [],
        revisions: [{ commit: "a".repeat(40), refs: ["main"], sizeOnDisk: 1e9, lastModified: 0, files: [cachedFile("model.safetensors", 1e9, "m1")] }],
      },
      {
        repoType: "model", repoId: "acme/tiny-model", folder: "models--acme--tiny-model", sizeOnDisk: 400105, nbFiles: 1, lastAccessed: NOW - 3600, lastModified: NOW - 3600, problems: [],
        revisions: [{ commit: "b".repeat(40), refs: ["main"], sizeOnDisk: 400105, lastModified: 0, files: [cachedFile("model.safetensors", 400105, "t1")] }],
      },
    ],
    sizeOnDisk: 10.0004e9,
    problems: [],
  },
  freeBytes: 50e9,
};
