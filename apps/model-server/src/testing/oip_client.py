"""An independent Open Inference Protocol v2 client for the interop test.

Generates Python stubs from the OIP proto with grpc_tools.protoc into a temporary directory,
then calls ServerLive, ServerReady, ModelMetadata and ModelInfer (typed and raw inputs) over
mutual TLS, and prints one JSON object with what it received.
Usage: oip_client.py PROTO_ROOT (the folder holding inference/*.proto) ADDRESS CA CERT KEY MODEL INPUT_SIZE
"""
import json
import struct
import sys
import tempfile

from grpc_tools import protoc
import grpc

proto_dir, address, ca, cert, key, model, input_size = sys.argv[1:8]
input_size = int(input_size)
out = tempfile.mkdtemp()
protos = ["inference/grpc_service.proto", "inference/model_config.proto"]
if protoc.main(["protoc", f"-I{proto_dir}", f"--python_out={out}", f"--grpc_python_out={out}", *protos]) != 0:
    sys.exit("protoc failed")
sys.path.insert(0, out)
from inference import grpc_service_pb2 as pb  # noqa: E402
from inference import grpc_service_pb2_grpc as pb_grpc  # noqa: E402

def read(path):
    with open(path, "rb") as f:
        return f.read()

credentials = grpc.ssl_channel_credentials(read(ca), read(key), read(cert))
channel = grpc.secure_channel(address, credentials, options=[("grpc.ssl_target_name_override", "localhost")])
stub = pb_grpc.GRPCInferenceServiceStub(channel)

rows = [[((r * input_size + i) % 7) / 7.0 - 0.5 for i in range(input_size)] for r in range(2)]
flat = [v for row in rows for v in row]

def tensor():
    t = pb.ModelInferRequest.InferInputTensor(name="input", datatype="FP32")
    t.shape.extend([2, input_size])
    return t

typed_request = pb.ModelInferRequest(model_name=model, id="typed")
typed_input = tensor()
typed_input.contents.fp32_contents.extend(flat)
typed_request.inputs.append(typed_input)

raw_request = pb.ModelInferRequest(model_name=model, id="raw")
raw_request.inputs.append(tensor())
raw_request.raw_input_contents.append(struct.pack(f"<{len(flat)}f", *flat))

def decode(response):
    output = response.outputs[0]
    count = len(response.raw_output_contents[0]) // 4
    return {
        "id": response.id,
        "name": output.name,
        "datatype": output.datatype,
        "shape": list(output.shape),
        "values": list(struct.unpack(f"<{count}f", response.raw_output_contents[0])),
    }

metadata = stub.ModelMetadata(pb.ModelMetadataRequest(name=model))
print(json.dumps({
    "live": stub.ServerLive(pb.ServerLiveRequest()).live,
    "ready": stub.ServerReady(pb.ServerReadyRequest()).ready,
    "metadata": {
        "name": metadata.name,
        "versions": list(metadata.versions),
        "inputs": [[t.name, t.datatype, list(t.shape)] for t in metadata.inputs],
    },
    "input": flat,
    "typed": decode(stub.ModelInfer(typed_request)),
    "raw": decode(stub.ModelInfer(raw_request)),
}))
