"""Cover uploads through the API: 415 for what is not a PNG or a JPEG (whatever its name says),
413 above the size limit, nothing kept of a refused upload; only the owner uploads."""
import io

from PIL import Image

from tests.integration.crowdfunding.campaign_setup import ORGANISATION, backer, campaign_data, image, owner


def _upload(client, campaign_id, headers, content, name="cover.png", alt="Le groupe"):
    return client.put(f"/api/campaigns/{campaign_id}/cover", headers=headers, content_type="multipart/form-data",
                      data={"file": (io.BytesIO(content), name), "alt_fr": alt})


def test_cover_refusals(crowdfunding_app, monkeypatch, tmp_path):
    monkeypatch.setenv("CROWDFUNDING_COVERS_DIR", str(tmp_path / "covers"))
    client = crowdfunding_app.test_client()
    _olga, headers = owner(crowdfunding_app)
    assert client.put("/api/owner/organisation", json=ORGANISATION, headers=headers).status_code == 200
    campaign_id = client.post("/api/campaigns", json=campaign_data(), headers=headers).get_json()["id"]

    gif = io.BytesIO()
    Image.new("RGB", (50, 50)).save(gif, "GIF")
    not_image = _upload(client, campaign_id, headers, gif.getvalue(), name="cover.png")
    assert not_image.status_code == 415
    assert not_image.get_json()["errors"]["json"] == {"file": ["This file is not a PNG or JPEG image."]}
    assert _upload(client, campaign_id, headers, b"%PDF-1.4 ...", name="cover.jpg").status_code == 415

    monkeypatch.setenv("MAX_COVER_BYTES", "20000")
    large = _upload(client, campaign_id, headers, image(1500, 1500, "BMP")[:30000] + b"\0" * 10, name="big.png")
    assert large.status_code == 413
    assert large.get_json()["message"] == "A cover image may be at most 20000 bytes."
    assert not (tmp_path / "covers").exists() or list((tmp_path / "covers").iterdir()) == []

    # Without its text alternative, nothing is kept either.
    missing_alt = client.put(f"/api/campaigns/{campaign_id}/cover", headers=headers, content_type="multipart/form-data",
                             data={"file": (io.BytesIO(image(600, 300)), "cover.png")})
    assert missing_alt.status_code == 422 and "alt_fr" in missing_alt.get_json()["errors"]["form"]

    kept = _upload(client, campaign_id, headers, image(600, 300))
    assert kept.status_code == 200 and kept.get_json()["cover"]["widths"] == [480, 600]
    _bea, bea = backer(crowdfunding_app, "bea@example.org")
    assert _upload(client, campaign_id, bea, image(600, 300)).status_code == 403
    _otto, otto = owner(crowdfunding_app, "otto@example.org", "Otto")
    assert _upload(client, campaign_id, otto, image(600, 300)).status_code == 404
