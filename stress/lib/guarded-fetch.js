// A pass-through fetch that lets requests to 127.0.0.1 through to the real global fetch and
// refuses anything else before it touches the network: the suite never leaves the machine,
// and the refusals count how often the library tried to.
export function createGuardedFetch() {
  const state = { attempts: 0, refused: [] };
  state.fetch = (input, init) => {
    state.attempts += 1;
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (url.protocol !== 'http:' || url.hostname !== '127.0.0.1') {
      state.refused.push(`${url.protocol}//${url.host}`);
      return Promise.reject(new TypeError('stress guard: only http://127.0.0.1 may be fetched'));
    }
    return globalThis.fetch(input, init);
  };
  return state;
}
