// node-opcua server for benchmarks/opcua.py: the nodes of a synthetic config, no logic.
// usage: node opcua_node_server.js PORT NODES.json   (prints "READY <endpoint>")
// NODES.json: {"namespace": URI, "nodes": [[node id "s=...", "Double"|"UInt32"|"Boolean"|"DoubleArray", writable], ...]}
// node-opcua is resolved from tests/interop/node_modules (npm ci there).
const path = require("path");
const fs = require("fs");
const { OPCUAServer, Variant, DataType, VariantArrayType } = require(
  path.join(__dirname, "..", "tests", "interop", "node_modules", "node-opcua"));

async function main() {
  const port = parseInt(process.argv[2], 10);
  const spec = JSON.parse(fs.readFileSync(process.argv[3], "utf8"));
  const server = new OPCUAServer({
    port, host: "127.0.0.1", resourcePath: "/bench", maxAllowedSessionNumber: 10,
    serverCapabilities: { maxArrayLength: 100000, operationLimits: {
      maxNodesPerRead: 100000, maxNodesPerWrite: 100000 } },
  });
  await server.initialize();
  const ns = server.engine.addressSpace.registerNamespace(spec.namespace);
  const objects = server.engine.addressSpace.rootFolder.objects;
  for (const [id, type, writable] of spec.nodes) {
    const value = type === "DoubleArray"
      ? new Variant({ dataType: DataType.Double, arrayType: VariantArrayType.Array,
        value: new Float64Array(24) })
      : new Variant({ dataType: DataType[type], value: type === "Boolean" ? true : 1 });
    ns.addVariable({
      organizedBy: objects, nodeId: id, browseName: id.slice(2),
      dataType: type === "DoubleArray" ? "Double" : type,
      valueRank: type === "DoubleArray" ? 1 : -1,
      accessLevel: writable ? "CurrentRead | CurrentWrite" : "CurrentRead",
      userAccessLevel: writable ? "CurrentRead | CurrentWrite" : "CurrentRead",
      value,
    });
  }
  await server.start();
  console.log(`READY ${server.getEndpointUrl()}`);
}
main().catch((e) => { console.error(e); process.exit(1); });
