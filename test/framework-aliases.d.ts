// The Express 4 and Koa 2 runtimes are installed under npm aliases (`express4`, `koa2`)
// without typings of their own; the tests type them with the installed @types packages,
// whose API the tests use in the same way on both major versions.
declare module 'express4' {
  import express = require('express');
  export = express;
}

declare module 'koa2' {
  import Koa = require('koa');
  export = Koa;
}
