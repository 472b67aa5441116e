// The parts of Tauri's global API (`app.withGlobalTauri`) that the frontend uses.
interface TauriCore {
  invoke<T>(cmd: string, args?: Record<string, unknown>): Promise<T>;
}

interface Window {
  __TAURI__?: { core: TauriCore };
}
