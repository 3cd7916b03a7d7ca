// Test-only node-opcua server for plantloop interop tests.
// usage: node server.js PORT PKI_DIR [secure-only]   (prints "READY <endpoint>" when listening)
const path = require("path");
const {
  OPCUAServer, OPCUACertificateManager, Variant, DataType, StatusCodes,
  MessageSecurityMode, SecurityPolicy, DataValue,
} = require("node-opcua");

async function main() {
  const port = parseInt(process.argv[2], 10);
  const pki = process.argv[3];
  const secureOnly = process.argv[4] === "secure-only";
  const serverCertificateManager = new OPCUACertificateManager({
    rootFolder: path.join(pki, "server"), automaticallyAcceptUnknownCertificate: false,
  });
  await serverCertificateManager.initialize();
  const users = { operator: "s3cret" };
  const server = new OPCUAServer({
    port, host: "127.0.0.1", resourcePath: "/interop", serverCertificateManager,
    securityPolicies: [...(secureOnly ? [] : [SecurityPolicy.None]), SecurityPolicy.Basic256Sha256,
      SecurityPolicy.Aes128_Sha256_RsaOaep, SecurityPolicy.Aes256_Sha256_RsaPss],
    securityModes: [...(secureOnly ? [] : [MessageSecurityMode.None]),
      MessageSecurityMode.SignAndEncrypt],
    allowAnonymous: false,
    userManager: { isValidUser: (u, p) => users[u] === p },
    serverInfo: { applicationUri: "urn:plantloop:interop" },
  });
  await server.initialize();
  const space = server.engine.addressSpace;
  const ns = space.registerNamespace("urn:plantloop:interop");
  const objects = space.rootFolder.objects;
  const add = (id, dataType, value, writable, eu) => {
    const opts = {
      organizedBy: objects, nodeId: `s=${id}`, browseName: id, dataType,
      accessLevel: writable ? "CurrentRead | CurrentWrite" : "CurrentRead",
      userAccessLevel: writable ? "CurrentRead | CurrentWrite" : "CurrentRead",
      value: new Variant({ dataType: DataType[dataType], value }),
    };
    if (eu) {
      opts.engineeringUnitsRange = { low: eu[0], high: eu[1] };
      return ns.addAnalogDataItem(opts);
    }
    return ns.addVariable(opts);
  };
  add("SP1", "Double", 10.0, true, [0, 100]);
  add("SP2", "Double", 20.0, true, [0, 100]);
  add("Flow", "Double", 5.0, false);
  add("Watchdog", "UInt32", 0, true);
  add("Enable", "Boolean", true, true);
  const bad = add("BadTag", "Double", 1.0, false);
  bad.setValueFromSource(new Variant({ dataType: DataType.Double, value: 1.0 }), StatusCodes.BadSensorFailure);
  const unc = add("UncertainTag", "Double", 2.0, false);
  unc.setValueFromSource(new Variant({ dataType: DataType.Double, value: 2.0 }), StatusCodes.UncertainLastUsableValue);
  const old = add("OldTag", "Double", 3.0, false);
  old.setValueFromSource(new Variant({ dataType: DataType.Double, value: 3.0 }), StatusCodes.Good,
    new Date(Date.now() - 3600 * 1000));
  await server.start();
  console.log(`READY ${server.getEndpointUrl()}`);
}
main().catch((e) => { console.error(e); process.exit(1); });
