// Runs before each contract test file: i18next (started by @grafana/runtime) prints an
// advertisement at start-up, which would be the only line of every file's console output.
const info = console.info;
console.info = (...args) => {
  if (typeof args[0] === 'string' && args[0].includes('i18next is made possible')) {
    return;
  }
  info(...args);
};
