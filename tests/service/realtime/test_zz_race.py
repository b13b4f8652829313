import asyncio
import httpx
from rt_helpers import Ws, new_classroom, expect


async def test_connect_while_moving(sqlite_service):
    service = sqlite_service
    names = [f"s{i:02d}" for i in range(12)]
    async with httpx.AsyncClient(base_url=service.url, timeout=30) as http:
        k = await new_classroom(http, service.url, service.admin_key, *names)
        await k.start_rooms({"A": names[:4], "B": names[4:8], "C": names[8:]})
        clients = []
        async def shuffles():
            for seed in range(15):
                await k.breakout("shuffle", seed=seed)
        async def connects():
            for wave in range(3):
                ws = await asyncio.gather(*(Ws(service.url, k.tokens[n]).open() for n in names))
                clients.extend(zip(names, ws))
                await asyncio.sleep(0.05)
        await asyncio.gather(shuffles(), connects())
        await asyncio.sleep(0.5)
        bad = []
        for name, ws in clients:
            await ws.quiet(0.05)
            where = ws.welcome["meeting_id"]
            follows = set(ws.welcome["meetings"])
            for m in ws.received:
                if m["type"] == "meeting_changed" and m["data"]["participant_id"] == k.ids[name]:
                    where = m["data"]["to"]
                if m["type"] == "subscribed":
                    follows = set(m["meetings"])
            me = expect(await http.get("/v1/me", headers=k.as_(name)))
            actual = me["meeting"]["id"]
            if where != actual or follows != {k.id, actual}:
                bad.append((name, where == actual, follows == {k.id, actual}))
        for _, ws in clients:
            await ws.close()
        assert not bad, bad
