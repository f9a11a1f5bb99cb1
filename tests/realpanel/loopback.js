// Preloaded with `node --require` by start.sh: the Skyport panel calls app.listen(port) with no host, which
// binds every interface and has no config option for it.  This makes a listen() with a port and no host bind
// 127.0.0.1 (or $SKYPORT_BIND) instead, without changing the panel's files.
'use strict';
const net = require('net');
const host = process.env.SKYPORT_BIND || '127.0.0.1';
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  if ((typeof args[0] === 'number' || (typeof args[0] === 'string' && /^\d+$/.test(args[0]))) &&
      (args.length === 1 || typeof args[1] === 'function')) {
    args.splice(1, 0, host);
  }
  return listen.apply(this, args);
};
