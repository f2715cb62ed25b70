// A minimal event emitter for the mesh modules (DOM-free, no Node `events`).

export class Emitter {
  constructor() {
    this._handlers = new Map();
  }

  on(name, fn) {
    if (!this._handlers.has(name)) this._handlers.set(name, new Set());
    this._handlers.get(name).add(fn);
    return this;
  }

  off(name, fn) {
    this._handlers.get(name)?.delete(fn);
    return this;
  }

  once(name, fn) {
    const wrap = (...args) => {
      this.off(name, wrap);
      fn(...args);
    };
    return this.on(name, wrap);
  }

  emit(name, ...args) {
    const set = this._handlers.get(name);
    if (!set) return false;
    for (const fn of [...set]) fn(...args);
    return set.size > 0;
  }
}
