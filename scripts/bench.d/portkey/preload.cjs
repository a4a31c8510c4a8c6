// Preloaded (node --require) into the Portkey gateway by scripts/bench.
'use strict';
const http = require('http');
const net = require('net');

// Loopback only: start-server.js listens on every address and takes no
// option for the host.
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  if (typeof args[0] === 'number') {
    if (args[1] === undefined)
      args[1] = '127.0.0.1';
    else if (typeof args[1] === 'function')
      args.splice(1, 0, '127.0.0.1');
  }
  return listen.apply(this, args);
};

// Portkey copies the upstream's hop-by-hop headers into its answer: its
// `connection: keep-alive` contradicts a client's `Connection: close`, so
// the client sends its next request on a connection node is closing, and
// gets a 400. Dropping them lets node say what it will do.
const writeHead = http.ServerResponse.prototype.writeHead;
http.ServerResponse.prototype.writeHead = function (status, ...rest) {
  for (const h of rest)
    if (h && typeof h === 'object' && !Array.isArray(h)) {
      delete h.connection;
      delete h['keep-alive'];
    }
  return writeHead.call(this, status, ...rest);
};
