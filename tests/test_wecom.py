"""WeCom: the official crypto vectors, and the callback over real HTTP against a stand-in send API.

Vectors: tests/fixtures/wecom/vectors.json, copied from shared/realdata/wecom_crypto_vectors (official
WeCom sample, the WeCom document 加解密方案说明, and wechatpy's tests; see its SOURCE.txt).
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import waitress
from wechatpy.enterprise.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidSignatureException

from bot.wecom import CALLBACK_PATH, WeComCallback, WeComMessenger, reply_markdown
from handlers.messages import AccountRow, Reply
from store.users import upsert_user
from tests.conftest import FIXTURES

VECTORS = json.loads((FIXTURES / "wecom" / "vectors.json").read_text())
TOKEN, AES_KEY, CORP = "QDG6eK", "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", "wx5823bf96d3bd56c7"


@pytest.mark.parametrize("vec", VECTORS, ids=[v["name"] for v in VECTORS])
def test_official_vectors_verify_and_decrypt(vec):
    crypto = WeChatCrypto(vec["token"], vec["encoding_aes_key"], vec["receive_id_expected"])
    plain = vec["plaintext"]
    if plain.startswith("<xml"):
        body = f"<xml><Encrypt><![CDATA[{vec['encrypted']}]]></Encrypt></xml>"
        out = crypto.decrypt_message(body, vec["msg_signature"], vec["timestamp"], vec["nonce"])
    else:  # echostr, and the JSON-mode "encrypt" field: signature check then decrypt
        out = crypto.check_signature(
            vec["msg_signature"], vec["timestamp"], vec["nonce"], vec["encrypted"]
        )
    out = out.decode() if isinstance(out, bytes) else out
    assert out == plain


def test_tampered_signature_is_refused():
    vec = next(v for v in VECTORS if v["name"].startswith("official verifyURL"))
    crypto = WeChatCrypto(vec["token"], vec["encoding_aes_key"], vec["receive_id_expected"])
    with pytest.raises(InvalidSignatureException):
        crypto.check_signature("0" * 40, vec["timestamp"], vec["nonce"], vec["encrypted"])


class StandInWeCom:
    """A stand-in WeCom API on loopback: gettoken and message/send, recording every call."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _reply(self, obj):
                body = json.dumps(obj).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                url = urllib.parse.urlparse(self.path)
                outer.calls.append((url.path, dict(urllib.parse.parse_qsl(url.query))))
                self._reply({"errcode": 0, "access_token": "TOKEN123", "expires_in": 7200})

            def do_POST(self):
                url = urllib.parse.urlparse(self.path)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                body["_query"] = dict(urllib.parse.parse_qsl(url.query))
                outer.calls.append((url.path, body))
                self._reply({"errcode": 0, "errmsg": "ok", "msgid": f"m{len(outer.calls)}"})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def sends(self) -> list[dict]:
        return [body for path, body in self.calls if path == "/cgi-bin/message/send"]

    def wait_for(self, n: int, timeout: float = 15) -> list[dict]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(self.sends()) < n:
            time.sleep(0.05)
        return self.sends()


@pytest.fixture
def wecom(demo_services):
    standin = StandInWeCom()
    settings = demo_services.settings.model_copy(
        update={
            "wecom_corp_id": CORP,
            "wecom_agent_id": "1000002",
            "wecom_secret": "s3cret",
            "wecom_token": TOKEN,
            "wecom_aes_key": AES_KEY,
            "wecom_api_url": standin.url,
        }
    )
    from pydantic import SecretStr

    settings = settings.model_copy(
        update={
            "wecom_secret": SecretStr("s3cret"),
            "wecom_token": SecretStr(TOKEN),
            "wecom_aes_key": SecretStr(AES_KEY),
        }
    )
    demo_services.settings = settings
    with demo_services.session_factory.begin() as s:
        upsert_user(s, handle="admin", wecom_id="ZhangSan")
    callback = WeComCallback(demo_services, WeComMessenger(demo_services))

    def app(environ, start_response):
        if environ["PATH_INFO"] == CALLBACK_PATH:
            return callback(environ, start_response)
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found"]

    server = waitress.create_server(app, host="127.0.0.1", port=0)
    threading.Thread(target=server.run, daemon=True).start()
    yield f"http://127.0.0.1:{server.effective_port}{CALLBACK_PATH}", standin
    server.close()
    standin.server.shutdown()


def _signed_post(url: str, text: str, user: str, msg_id: str, nonce: str = "12345"):
    crypto = WeChatCrypto(TOKEN, AES_KEY, CORP)
    plain = (
        f"<xml><ToUserName><![CDATA[{CORP}]]></ToUserName><FromUserName><![CDATA[{user}]]>"
        f"</FromUserName><CreateTime>1700000000</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{text}]]></Content><MsgId>{msg_id}</MsgId><AgentID>1000002</AgentID></xml>"
    )
    ts = str(int(time.time()))
    encrypted_xml = crypto.encrypt_message(plain, nonce, ts)
    import xmltodict

    doc = xmltodict.parse(encrypted_xml)["xml"]
    q = urllib.parse.urlencode(
        {"msg_signature": doc["MsgSignature"], "timestamp": ts, "nonce": nonce}
    )
    body = f"<xml><ToUserName><![CDATA[{CORP}]]></ToUserName><Encrypt><![CDATA[{doc['Encrypt']}]]></Encrypt><AgentID>1000002</AgentID></xml>"
    req = urllib.request.Request(f"{url}?{q}", data=body.encode(), method="POST")
    return urllib.request.urlopen(req, timeout=5)


def test_url_verification_over_http(wecom):
    url, _ = wecom
    vec = next(v for v in VECTORS if v["name"].startswith("official verifyURL"))
    q = urllib.parse.urlencode(
        {
            "msg_signature": vec["msg_signature"],
            "timestamp": vec["timestamp"],
            "nonce": vec["nonce"],
            "echostr": vec["encrypted"],
        }
    )
    with urllib.request.urlopen(f"{url}?{q}", timeout=5) as r:
        assert r.read().decode() == vec["plaintext"]
    bad = urllib.parse.urlencode(
        {
            "msg_signature": "0" * 40,
            "timestamp": vec["timestamp"],
            "nonce": vec["nonce"],
            "echostr": vec["encrypted"],
        }
    )
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(f"{url}?{bad}", timeout=5)
    assert err.value.code == 403


def test_message_is_answered_through_send_api_once(wecom):
    url, standin = wecom
    with _signed_post(url, "帮助", "ZhangSan", "9001") as r:
        assert r.status == 200 and r.read() == b""  # answered at once, work done after
    sends = standin.wait_for(1)
    assert sends[0]["touser"] == "ZhangSan"
    assert sends[0]["_query"]["access_token"] == "TOKEN123"
    assert (
        "流失风险" in sends[0]["markdown"]["content"]
    )  # the Chinese help, in the asker's language
    # WeCom retries the same MsgId when it thinks we were slow: not answered twice
    with _signed_post(url, "帮助", "ZhangSan", "9001", nonce="777") as r:
        assert r.status == 200
    time.sleep(1.0)
    assert len(standin.sends()) == 1


def test_unknown_wecom_user_gets_no_data(wecom):
    url, standin = wecom
    with _signed_post(url, "有流失风险的客户", "Stranger", "9002"):
        pass
    [sent] = standin.wait_for(1)
    assert sent["touser"] == "Stranger"
    assert "管理员" in sent["markdown"]["content"]


def test_forged_post_is_refused(wecom):
    url, standin = wecom
    q = urllib.parse.urlencode({"msg_signature": "0" * 40, "timestamp": "1", "nonce": "2"})
    body = b"<xml><Encrypt><![CDATA[AAAA]]></Encrypt></xml>"
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(
            urllib.request.Request(f"{url}?{q}", data=body, method="POST"), timeout=5
        )
    assert err.value.code == 403
    assert standin.sends() == []


def test_markdown_rendering_keeps_rows_and_context():
    reply = Reply(
        text="2 found",
        title="Churn risk",
        context="accounts where tag = churn_risk",
        rows=[AccountRow(1, "C1", "Acme", {"ARR": "¥50,000"})],
    )
    md = reply_markdown(reply)
    assert "**Churn risk**" in md and "1. **Acme**  ARR ¥50,000" in md and "tag = churn_risk" in md
