// The contract suite's jest environment: jsdom, which @grafana/data needs at import (it reads
// window), plus node's own fetch, which jsdom lacks and the bridge's BackendSrv uses, and the
// matchMedia that uPlot (imported through @grafana/ui) calls at import and the
// IntersectionObserver that scenes' LazyLoader creates at import, which jsdom lacks too.
const { TestEnvironment } = require('jest-environment-jsdom');

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
