// The contract suite's jest environment: jsdom, which @grafana/data needs at import (it reads
// window), plus node's own fetch, which jsdom lacks and the bridge's BackendSrv uses, and the
// matchMedia that uPlot (imported through @grafana/ui) calls at import and the
// IntersectionObserver that scenes' LazyLoader creates at import, which jsdom lacks too.
const { TestEnvironment } = require('jest-environment-jsdom');

/**
 * A MessageChannel whose messages are delivered on an unref'd timer: what React's scheduler
 * needs (port.onmessage, port.postMessage), without a handle that outlives the tests.
 */
class LightMessageChannel {
  constructor() {
    const port = () => ({
      onmessage: null,
      other: null,
      postMessage(data) {
        const target = this.other;
        setTimeout(() => target.onmessage && target.onmessage({ data }), 0).unref();
      },
      start() {},
      close() {},
    });
    this.port1 = port();
    this.port2 = port();
    this.port1.other = this.port2;
    this.port2.other = this.port1;
  }
}

class ContractEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    Object.assign(this.global, {
      fetch,
      Headers,
      Request,
      Response,
      TextEncoder,
      TextDecoder,
      structuredClone,
      // react-dom 19's server renderer (imported through @grafana/ui 13) and React's scheduler
      // post messages on a MessageChannel; node's ports would keep jest from exiting.
      MessageChannel: LightMessageChannel,
    });
    this.global.matchMedia = (query) => ({
      matches: false,
      media: query,
      onchange: null,
      addListener: () => {},
      removeListener: () => {},
      addEventListener: () => {},
      removeEventListener: () => {},
      dispatchEvent: () => false,
    });
    // @grafana/data 13 sanitizes links with URL.canParse, which node has and jsdom's URL lacks.
    if (!this.global.URL.canParse) {
      this.global.URL.canParse = URL.canParse;
    }
    this.global.IntersectionObserver = class {
      observe() {}
      unobserve() {}
      disconnect() {}
      takeRecords() {
        return [];
      }
    };
  }
}

module.exports = ContractEnvironment;
