"""SMS through 阿里云短信服务: the documented signature vector, and the outbox delivering through a local
endpoint that checks the signature as Aliyun does (delivery state on the outbox row)."""
import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from portal.extensions import db
from portal.outbox import OutboxMessage, deliver_pending_sms, send_message
from portal.sms import aliyun_signature

SECRET = "testSecret"


def test_the_signature_matches_aliyuns_documented_example():
    # the example of Aliyun's SMS API documentation ("签名机制"), a GET request
    params = {"SignatureMethod": "HMAC-SHA1", "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
              "AccessKeyId": "testId", "SignatureVersion": "1.0", "Timestamp": "2017-07-12T02:42:19Z",
              "Format": "XML", "Action": "SendSms", "Version": "2017-05-25", "RegionId": "cn-hangzhou",
              "PhoneNumbers": "15300000001", "SignName": "阿里云短信测试专用",
              "TemplateParam": '{"customer":"test"}', "TemplateCode": "SMS_71390007", "OutId": "123"}
    assert aliyun_signature(params, SECRET, "GET") == "zJDF+Lrzhj/ThnlvIToysFRq6t4="


class _Dysmsapi(BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):  # noqa: N802  (http.server's name)
        form = dict(urllib.parse.parse_qsl(self.rfile.read(int(self.headers["Content-Length"])).decode()))
        signature = form.pop("Signature")
        ok = signature == aliyun_signature(form, SECRET) and form["PhoneNumbers"] != "13900000000"
        self.received.append(form)
        body = {"Code": "OK", "BizId": "900619746936498440^0", "Message": "OK"} if ok else {
            "Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "invalid mobile number"}
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(json.dumps(body).encode())

    def log_message(self, *_args):
        pass


@pytest.fixture
def dysmsapi(app):
    server = HTTPServer(("127.0.0.1", 0), _Dysmsapi)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    config = {"SMS_ALIYUN_ACCESS_KEY_ID": "testId", "SMS_ALIYUN_ACCESS_KEY_SECRET": SECRET,
              "SMS_ALIYUN_SIGN_NAME": "三门峡无废城市", "SMS_ALIYUN_TEMPLATE_CODE": "SMS_0001",
              "SMS_ALIYUN_ENDPOINT": f"http://127.0.0.1:{server.server_port}/"}
    app.config.update(config)
    yield _Dysmsapi.received
    for name in config:
        app.config[name] = None
    server.shutdown()


def test_the_outbox_delivers_sms_and_keeps_the_refusal(ctx, dysmsapi):
    good = send_message("13800000000", "工单 1", "已派单", channel="sms")
    bad = send_message("13900000000", "工单 2", "已派单", channel="sms")
    db.session.commit()  # the job runs inline after the commit (no REDIS_URL)
    good, bad = db.session.get(OutboxMessage, good.id), db.session.get(OutboxMessage, bad.id)
    assert good.sent_at is not None and good.error is None
    assert bad.sent_at is None and "MOBILE_NUMBER_ILLEGAL" in bad.error
    assert json.loads(dysmsapi[0]["TemplateParam"]) == {"content": "工单 1: 已派单"}
    assert deliver_pending_sms() == 0  # the refused one is tried again and refused again
