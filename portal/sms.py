"""SMS through a provider interface. The one real adapter is 阿里云短信服务 (Dysmsapi SendSms, RPC API version
2017-05-25, signature method HMAC-SHA1), configured by the SMS_ALIYUN_* environment variables. Without them
no provider is configured and SMS stay in the outbox as before (the embedded default).

Chinese SMS providers send only pre-approved templates: the template named by SMS_ALIYUN_TEMPLATE_CODE must
carry one variable, ${content}, which receives the message text."""
import base64
import hashlib
import hmac
import json
import secrets
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from flask import current_app

TIMEOUT_S = 15
# Aliyun caps a template variable's value; longer texts are cut (the full text stays in the outbox row)
MAX_CONTENT = 500


class SmsError(Exception):
    """The provider refused the message or could not be reached; the text is kept as the delivery error."""


class SmsProvider(Protocol):
    def send(self, phone: str, text: str) -> str:
        """Send one SMS; answers the provider's message id, raises SmsError."""


def _percent(value: str) -> str:
    # RFC 3986 as Aliyun's RPC signature wants it: space %20, * %2A, ~ kept
    return urllib.parse.quote(value, safe="~")


def aliyun_signature(params: dict[str, str], secret: str, method: str = "POST") -> str:
    """The Signature of an Aliyun RPC request: HMAC-SHA1 (key: secret + "&") over
    METHOD&%2F&percent(sorted, percent-encoded query), base64."""
    canonical = "&".join(f"{_percent(k)}={_percent(v)}" for k, v in sorted(params.items()))
    to_sign = f"{method}&{_percent('/')}&{_percent(canonical)}"
    digest = hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


@dataclass
class AliyunSms:
    access_key_id: str
    access_key_secret: str
    sign_name: str
    template_code: str
    endpoint: str = "https://dysmsapi.aliyuncs.com/"

    def params(self, phone: str, text: str, *, nonce: str, timestamp: str) -> dict[str, str]:
        params = {
            "AccessKeyId": self.access_key_id, "Action": "SendSms", "Format": "JSON", "PhoneNumbers": phone,
            "RegionId": "cn-hangzhou", "SignName": self.sign_name, "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": nonce, "SignatureVersion": "1.0", "TemplateCode": self.template_code,
            "TemplateParam": json.dumps({"content": text[:MAX_CONTENT]}, ensure_ascii=False),
            "Timestamp": timestamp, "Version": "2017-05-25",
        }
        params["Signature"] = aliyun_signature(params, self.access_key_secret)
        return params

    def send(self, phone: str, text: str) -> str:
        timestamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        body = urllib.parse.urlencode(self.params(phone, text, nonce=secrets.token_hex(16), timestamp=timestamp))
        request = urllib.request.Request(self.endpoint, data=body.encode(), method="POST",
                                         headers={"Content-Type": "application/x-www-form-urlencoded"})
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:  # noqa: S310  (configured https URL)
                answer = json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as exc:
            answer = _error_body(exc)
        except (urllib.error.URLError, TimeoutError, ValueError) as exc:
            raise SmsError(f"aliyun: {exc}") from exc
        if answer.get("Code") != "OK":
            raise SmsError(f"aliyun {answer.get('Code')}: {answer.get('Message')}")
        return str(answer.get("BizId", ""))


def _error_body(exc) -> dict:
    try:
        return json.loads(exc.read().decode("utf-8"))
    except ValueError:
        return {"Code": str(exc.code), "Message": exc.reason}


def configured_provider() -> SmsProvider | None:
    """The provider the environment configures, or None (SMS then stay in the outbox)."""
    config = current_app.config
    names = ("SMS_ALIYUN_ACCESS_KEY_ID", "SMS_ALIYUN_ACCESS_KEY_SECRET", "SMS_ALIYUN_SIGN_NAME",
             "SMS_ALIYUN_TEMPLATE_CODE")
    if not all(config.get(name) for name in names):
        return None
    return AliyunSms(*(config[name] for name in names),
                     endpoint=config.get("SMS_ALIYUN_ENDPOINT") or "https://dysmsapi.aliyuncs.com/")
