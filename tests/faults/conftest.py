import pytest

from tests.defaults import ensure_default_data

from .harness import PrivateRedis, Workers, use_broker


@pytest.fixture(autouse=True)
def default_data(transactional_db):
    """Each of these tests commits for real (workers read over their own connections), and the flush that
    follows each empties what the data migrations wrote."""
    ensure_default_data()


@pytest.fixture
def private_redis():
    server = PrivateRedis()
    server.start()
    use_broker(server.url)
    try:
        yield server
    finally:
        use_broker(None)
        server.stop()


@pytest.fixture
def workers(private_redis, tmp_path, settings):
    settings.OUTBOX_RETRY_SECONDS = 1
    cluster = Workers(private_redis.url, tmp_path)
    try:
        yield cluster
    finally:
        cluster.close()
