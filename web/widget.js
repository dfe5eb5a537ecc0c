/*! Trợ lý Khuyến công — web chat widget (Apache-2.0).
 *
 * Embed (one element + one script):
 *   <div id="tro-ly-khuyen-cong"></div>
 *   <script src="https://MAY-CHU-BOT/webhooks/web/widget.js" defer></script>
 *
 * Optional data-* attributes on the element:
 *   data-server       bot server (default: the origin widget.js was loaded from)
 *   data-socket-path  socket.io path (default "/socket.io/")
 *   data-title        header title (default "Trợ lý Khuyến công")
 *   data-open="true"  start with the chat open
 *
 * Transport: Rasa's socket.io protocol (events session_request/session_confirm, user_uttered,
 * bot_uttered, plus bot_done from our "web" channel) via the vendored socket.io-client 4.
 * All user and bot text is put into the page with textContent, never parsed as HTML.
 *
 * Live handover: a bot message marked "handover": "waiting" (the bot paused itself and passed the
 * conversation to the centre's officers) switches the header to the waiting state; messages
 * marked "from": "officer" (typed by an officer in the console, optional "officer_name") are
 * shown with a "Cán bộ …" label; "handover": "resumed" (the officer handed back) ends the state.
 */
(function () {
  "use strict";

  var ROOT_ID = "tro-ly-khuyen-cong";
  var MAX_CHARS = 1000;       // same limit as bot/channels/guard.py
  var MAX_STORED = 120;       // messages kept in localStorage
  var REPLY_TIMEOUT_MS = 30000;
  var T = {
    title: "Trợ lý Khuyến công",
    launcher: "Hỏi đáp khuyến công",
    openLabel: "Mở Trợ lý Khuyến công",
    close: "Thu nhỏ cửa sổ trò chuyện",
    restart: "Bắt đầu cuộc trò chuyện mới",
    connecting: "Đang kết nối…",
    online: "Đang trực tuyến · trả lời tự động",
    offlineStatus: "Mất kết nối",
    offline: "Không kết nối được với máy chủ Trợ lý Khuyến công. Anh/chị kiểm tra kết nối mạng; em đang tự kết nối lại…",
    retry: "Thử lại",
    slow: "Trợ lý chưa trả lời được. Anh/chị vui lòng gửi lại câu hỏi sau ít phút.",
    notSent: "Chưa gửi được vì đang mất kết nối. Câu hỏi vẫn còn trong ô nhập, anh/chị gửi lại khi có mạng nhé.",
    placeholder: "Nhập câu hỏi của anh/chị…",
    inputLabel: "Câu hỏi của anh/chị (có dấu hoặc không dấu đều được)",
    send: "Gửi",
    typing: "Trợ lý đang trả lời",
    disclaimer: "Trợ lý tự động, trả lời theo văn bản pháp luật về khuyến công. Xin đừng gửi thông tin nhạy cảm.",
    you: "Anh/chị",
    bot: "Trợ lý",
    officer: "Cán bộ",
    officerDefault: "Cán bộ Trung tâm",
    waiting: "Đã chuyển cho cán bộ · đang chờ trả lời",
    talking: "Đang trò chuyện với cán bộ"
  };

  var script = document.currentScript;
  var scriptUrl = new URL(script && script.src ? script.src : "widget.js", location.href);
  var assetBase = scriptUrl.href.replace(/[?#].*$/, "").replace(/[^\/]*$/, "");

  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text != null) node.textContent = text;
    return node;
  }

  /* Speech-bubble icon as SVG: no emoji font needed (many older phones lack one). */
  function chatIcon() {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", "24");
    svg.setAttribute("height", "24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("class", "tlkc-launcher-icon");
    var path = document.createElementNS(ns, "path");
    path.setAttribute("fill", "currentColor");
    path.setAttribute("d", "M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z");
    svg.appendChild(path);
    [7, 12, 17].forEach(function (x) {
      var dot = document.createElementNS(ns, "circle");
      dot.setAttribute("cx", String(x));
      dot.setAttribute("cy", "10.5");
      dot.setAttribute("r", "1.5");
      dot.setAttribute("class", "tlkc-icon-dot");
      svg.appendChild(dot);
    });
    return svg;
  }

  function randomId() {
    var bytes = new Uint8Array(16);
    (window.crypto || window.msCrypto).getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  /* Load our socket.io-client without clobbering a different `io` the host page may use. */
  function loadSocketIo(cb) {
    var hadIo = Object.prototype.hasOwnProperty.call(window, "io");
    var previous = window.io;
    var tag = document.createElement("script");
    tag.src = assetBase + "vendor/socket.io.min.js";
    tag.async = true;
    tag.onload = function () {
      var ours = window.io;
      if (hadIo) window.io = previous; else { try { delete window.io; } catch (e) { window.io = undefined; } }
      cb(ours || null);
    };
    tag.onerror = function () { tag.remove(); cb(null); };
    document.head.appendChild(tag);
  }

  function cleanButtons(list) {
    if (!Array.isArray(list)) return [];
    return list.filter(function (b) {
      return b && typeof b.title === "string" && typeof b.payload === "string";
    }).map(function (b) { return { title: b.title, payload: b.payload }; });
  }

  function cleanMessage(m) {
    if (!m || (m.from !== "user" && m.from !== "bot") || typeof m.text !== "string") return null;
    var out = { from: m.from, text: m.text };
    if (m.from === "bot" && m.officer === true) {
      out.officer = true;
      if (typeof m.officerName === "string" && m.officerName) out.officerName = m.officerName.slice(0, 64);
    }
    var buttons = cleanButtons(m.buttons);
    if (buttons.length) out.buttons = buttons;
    if (typeof m.image === "string" && /^https?:\/\//i.test(m.image)) out.image = m.image;
    return out;
  }

  /* bot_uttered payload (Rasa socket.io output) → stored message */
  function fromBot(data) {
    if (!data || typeof data !== "object") return null;
    var buttons = (data.quick_replies || data.buttons || []).map(function (b) {
      return b && { title: String(b.title == null ? "" : b.title), payload: String(b.payload == null ? b.title : b.payload) };
    });
    var image = data.attachment && data.attachment.type === "image" && data.attachment.payload &&
      data.attachment.payload.src;
    return cleanMessage({ from: "bot", text: typeof data.text === "string" ? data.text : "",
                          buttons: buttons, image: image, officer: data.from === "officer",
                          officerName: data.officer_name });
  }

  /* handover state a bot_uttered payload moves to: "waiting", "officer", null (bot again), or
     undefined (no change) */
  function handoverAfter(data) {
    if (!data || typeof data !== "object") return undefined;
    if (data.handover === "resumed") return null;
    if (data.from === "officer") return "officer";
    if (data.handover === "waiting") return "waiting";
    return undefined;
  }

  function start(host) {
    if (host.getAttribute("data-tlkc-ready")) return;
    host.setAttribute("data-tlkc-ready", "1");

    var server = host.getAttribute("data-server") || scriptUrl.origin;
    var socketPath = host.getAttribute("data-socket-path") || "/socket.io/";
    var storeKey = "tlkc:v1:" + server;

    var state = (function load() {
      var raw = null;
      try { raw = JSON.parse(window.localStorage.getItem(storeKey) || "null"); } catch (e) { raw = null; }
      raw = raw && typeof raw === "object" ? raw : {};
      return {
        sessionId: typeof raw.sessionId === "string" && /^[0-9a-f]{32}$/.test(raw.sessionId) ? raw.sessionId : randomId(),
        messages: (Array.isArray(raw.messages) ? raw.messages : []).map(cleanMessage).filter(Boolean),
        open: raw.open === true || (raw.open === undefined && host.getAttribute("data-open") === "true"),
        handover: raw.handover === "waiting" || raw.handover === "officer" ? raw.handover : null,
        // handover messages shown so far (officer replies, waiting / resumed notices): the server
        // replays the later ones on reconnect, e.g. a reply that came while the page was closed
        handoverSeen: typeof raw.handoverSeen === "number" && raw.handoverSeen >= 0 ? Math.floor(raw.handoverSeen) : 0
      };
    })();

    function save() {
      state.messages = state.messages.slice(-MAX_STORED);
      try { window.localStorage.setItem(storeKey, JSON.stringify(state)); } catch (e) { /* private mode: memory only */ }
    }

    /* ---- DOM (inside a shadow root, so the host site's CSS cannot break the widget) ---- */
    var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
    var css = el("link");
    css.rel = "stylesheet";
    css.href = assetBase + "widget.css";
    root.appendChild(css);

    var wrap = el("div", "tlkc");
    var launcher = el("button", "tlkc-launcher");
    launcher.type = "button";
    launcher.setAttribute("aria-label", T.openLabel);
    launcher.appendChild(chatIcon());
    launcher.appendChild(el("span", "tlkc-launcher-text", T.launcher));

    var panel = el("section", "tlkc-panel");
    panel.setAttribute("role", "dialog");
    panel.setAttribute("aria-label", host.getAttribute("data-title") || T.title);

    var header = el("header", "tlkc-header");
    var avatar = el("div", "tlkc-avatar", "KC");
    avatar.setAttribute("aria-hidden", "true");
    var heading = el("div", "tlkc-heading");
    heading.appendChild(el("strong", "tlkc-title", host.getAttribute("data-title") || T.title));
    var status = el("span", "tlkc-status", T.connecting);
    heading.appendChild(status);
    var restartBtn = el("button", "tlkc-icon-btn tlkc-restart", "↻");
    restartBtn.type = "button";
    restartBtn.title = T.restart;
    restartBtn.setAttribute("aria-label", T.restart);
    var closeBtn = el("button", "tlkc-icon-btn tlkc-close", "×");
    closeBtn.type = "button";
    closeBtn.title = T.close;
    closeBtn.setAttribute("aria-label", T.close);
    header.appendChild(avatar);
    header.appendChild(heading);
    header.appendChild(restartBtn);
    header.appendChild(closeBtn);

    var banner = el("div", "tlkc-banner");
    banner.setAttribute("role", "alert");
    banner.hidden = true;
    var bannerText = el("span", "tlkc-banner-text");
    var retryBtn = el("button", "tlkc-retry", T.retry);
    retryBtn.type = "button";
    banner.appendChild(bannerText);
    banner.appendChild(retryBtn);

    var log = el("div", "tlkc-log");
    log.setAttribute("role", "log");
    log.setAttribute("aria-live", "polite");
    var typing = el("div", "tlkc-typing");
    typing.setAttribute("aria-label", T.typing);
    typing.hidden = true;
    typing.appendChild(el("span", "tlkc-dot"));
    typing.appendChild(el("span", "tlkc-dot"));
    typing.appendChild(el("span", "tlkc-dot"));
    typing.appendChild(el("span", "tlkc-typing-text", T.typing + "…"));
    log.appendChild(typing);

    var form = el("form", "tlkc-composer");
    var input = el("textarea", "tlkc-input");
    input.rows = 1;
    input.maxLength = MAX_CHARS;
    input.placeholder = T.placeholder;
    input.setAttribute("aria-label", T.inputLabel);
    input.setAttribute("enterkeyhint", "send");
    var sendBtn = el("button", "tlkc-send", T.send);
    sendBtn.type = "submit";
    form.appendChild(input);
    form.appendChild(sendBtn);

    panel.appendChild(header);
    panel.appendChild(banner);
    panel.appendChild(log);
    panel.appendChild(form);
    panel.appendChild(el("p", "tlkc-disclaimer", T.disclaimer));
    wrap.appendChild(launcher);
    wrap.appendChild(panel);
    root.appendChild(wrap);

    /* ---- rendering ---- */
    function scrollDown() { log.scrollTop = log.scrollHeight; }

    function officerLabel(m) {
      return m.officerName ? T.officer + " " + m.officerName : T.officerDefault;
    }

    function renderMessage(m) {
      var row = el("div", "tlkc-msg tlkc-" + m.from + (m.officer ? " tlkc-officer" : ""));
      var bubble = el("div", "tlkc-bubble");
      if (m.officer) {
        var who = el("span", "tlkc-who", officerLabel(m));  // visible label; textContent only
        who.setAttribute("aria-hidden", "true");
        bubble.appendChild(who);
      }
      bubble.appendChild(el("span", "tlkc-sr", (m.from === "user" ? T.you : m.officer ? officerLabel(m) : T.bot) + ": "));
      bubble.appendChild(el("span", "tlkc-text", m.text));  // textContent: never HTML
      row.appendChild(bubble);
      if (m.image) {
        var img = el("img", "tlkc-image");
        img.alt = "";
        img.src = m.image;
        row.appendChild(img);
      }
      if (m.buttons && m.buttons.length) {
        var chips = el("div", "tlkc-chips");
        m.buttons.forEach(function (b) {
          var chip = el("button", "tlkc-chip", b.title);
          chip.type = "button";
          chip.addEventListener("click", function () { send(b.payload, b.title); });
          chips.appendChild(chip);
        });
        row.appendChild(chips);
      }
      log.insertBefore(row, typing);
    }

    function push(m) {
      if (!m || (!m.text && !m.image && !(m.buttons && m.buttons.length))) return;
      state.messages.push(m);
      save();
      renderMessage(m);
      scrollDown();
    }

    function showBanner(text, withRetry) {
      bannerText.textContent = text;
      retryBtn.hidden = !withRetry;
      banner.hidden = false;
    }

    function hideBanner() { banner.hidden = true; }

    var typingTimer = null;
    function setTyping(on, ms) {
      clearTimeout(typingTimer);
      typing.hidden = !on;
      if (on) {
        scrollDown();
        typingTimer = setTimeout(function () {
          typing.hidden = true;
          if (ms === REPLY_TIMEOUT_MS) showBanner(T.slow, false);
        }, ms || REPLY_TIMEOUT_MS);
      }
    }

    function setOpen(open) {
      state.open = open;
      save();
      wrap.classList.toggle("tlkc-open", open);
      launcher.setAttribute("aria-expanded", String(open));
      if (open) {
        scrollDown();
        if (window.matchMedia && !window.matchMedia("(max-width: 480px)").matches) input.focus();
      }
    }

    /* ---- transport ---- */
    var socket = null;
    var confirmed = false;

    function onlineText() {
      return state.handover === "waiting" ? T.waiting : state.handover === "officer" ? T.talking : T.online;
    }

    function setHandover(value) {
      if (value === undefined || value === state.handover) return;
      state.handover = value;
      save();
      wrap.classList.toggle("tlkc-handover", !!value);
      if (confirmed) status.textContent = onlineText();
    }

    function setConnected(ok) {
      confirmed = ok;
      sendBtn.disabled = !ok;
      status.textContent = ok ? onlineText() : T.offlineStatus;
      wrap.classList.toggle("tlkc-offline", !ok);
      if (ok) hideBanner();
      else { setTyping(false); showBanner(T.offline, true); }
    }

    function send(text, display) {
      text = String(text || "").trim();
      if (!text) return false;
      if (!socket || !socket.connected || !confirmed) {
        showBanner(T.notSent, true);
        return false;
      }
      if (display !== null) push({ from: "user", text: display || text });
      hideBanner();
      socket.emit("user_uttered", { message: text, session_id: state.sessionId });
      if (!state.handover) setTyping(true, REPLY_TIMEOUT_MS);  // an officer answers when they can
      return true;
    }

    function connect(io) {
      if (!io) { setConnected(false); return; }
      socket = io(server, {
        path: socketPath,
        transports: ["websocket", "polling"],
        tryAllTransports: true,
        reconnectionDelay: 1000,
        reconnectionDelayMax: 10000,
        timeout: 10000
      });
      socket.on("connect", function () {
        socket.emit("session_request", { session_id: state.sessionId, handover_seen: state.handoverSeen });
      });
      socket.on("session_confirm", function (id) {
        if (typeof id === "string" && id !== state.sessionId) { state.sessionId = id; save(); }
        setConnected(true);
        if (!state.messages.length) send("/greet", null);  // first visit: greeting + menu
      });
      socket.on("bot_uttered", function (data) {
        if (data && (data.from === "officer" || data.handover === "waiting" || data.handover === "resumed")) {
          state.handoverSeen += 1;  // saved by push()
        }
        push(fromBot(data));
        setHandover(handoverAfter(data));
        if (!typing.hidden) setTyping(true, 2500);  // more may follow until bot_done
      });
      socket.on("bot_done", function () { setTyping(false); });
      socket.on("connect_error", function () { setConnected(false); });
      socket.on("disconnect", function () { setConnected(false); });
    }

    function boot() {
      status.textContent = T.connecting;
      loadSocketIo(connect);
    }

    /* ---- events ---- */
    launcher.addEventListener("click", function () { setOpen(true); });
    closeBtn.addEventListener("click", function () { setOpen(false); });
    restartBtn.addEventListener("click", function () {
      state.messages = [];
      state.sessionId = randomId();
      state.handoverSeen = 0;
      setHandover(null);
      save();
      Array.prototype.slice.call(log.querySelectorAll(".tlkc-msg")).forEach(function (n) { n.remove(); });
      if (socket && socket.connected) socket.emit("session_request", { session_id: state.sessionId, handover_seen: 0 });
    });
    retryBtn.addEventListener("click", function () {
      if (socket) { if (!socket.connected) socket.connect(); }
      else boot();
    });
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      if (send(input.value)) { input.value = ""; input.style.height = ""; }
    });
    input.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {  // isComposing: Vietnamese IMEs
        e.preventDefault();
        if (send(input.value)) { input.value = ""; input.style.height = ""; }
      }
    });
    input.addEventListener("input", function () {
      input.style.height = "";
      input.style.height = Math.min(input.scrollHeight, 120) + "px";
    });

    state.messages.forEach(renderMessage);
    wrap.classList.toggle("tlkc-handover", !!state.handover);
    sendBtn.disabled = true;
    setOpen(state.open);
    boot();

    window.TroLyKhuyenCong = {
      open: function () { setOpen(true); },
      close: function () { setOpen(false); }
    };
  }

  ready(function () {
    var host = document.getElementById(ROOT_ID);
    if (!host) {
      host = el("div");
      host.id = ROOT_ID;
      document.body.appendChild(host);
    }
    start(host);
  });
})();
