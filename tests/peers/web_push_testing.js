// Runs the web-push-libs project's push service for tests (npm `web-push-testing`, pinned in
// package.json) on this machine's loopback only: its own start-up listens on every interface.
// Prints {"port": N} on stdout once it listens; stops when its stdin closes (the test ended).
"use strict";
const path = require("path");
const root = path.resolve(__dirname, "..", "..", "node_modules", "web-push-testing", "src");
const TestingServer = require(path.join(root, "server.js"));
const { PushApiModel } = require(path.join(root, "PushApiModel.js"));

const model = new PushApiModel();
const service = new TestingServer(model, 0);
const first = service._app.listen(0, "127.0.0.1", () => {
  const port = first.address().port;
  model.notifyUrl = `http://localhost:${port}/notify/`;  // what the package itself hands out
  service.setRequestHandlers();
  // Where localhost means ::1 too, answer there as well (ignored where there is no IPv6 loopback).
  const second = service._app.listen(port, "::1", () => undefined);
  second.on("error", () => undefined);
  process.stdout.write(JSON.stringify({ port }) + "\n");
});
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
