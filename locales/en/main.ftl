# m2o-bot — English. Every string a person reads. Keys are used in src/ (tr.t("key")) and by
# dialogues/onboarding.toml (q-<question>, q-<question>-<option>). A test fails if a key is missing
# in any locale or no longer used.

## Start, help, cancel

welcome =
    👋 Welcome to Machine.Machine! In a few minutes you'll have your own AI agent on Telegram.

    First, what's your email address? We'll send you a 6-digit code to confirm it.
welcome-back-email = 👋 Welcome back! What's your email address? We'll send you a 6-digit code to confirm it.
help =
    I set you up with your own AI agent on Telegram, in a few steps:
    1. your email, confirmed with a code
    2. a few questions about what you need
    3. a bot you create with @BotFather (I'll show you how)
    4. a name for your agent

    /start — start, or pick up where you left off
    /status — where your request stands
    /cancel — stop for now (your progress is kept)
    /stop — no more follow-up messages from us
    /forget — erase your personal data (asks first)
    Once you're past the questions, anything you write here reaches our team.
idle-hint = Send /start to begin or continue, /status to see where you are, or /help.
cancel-done = OK, stopped. Your progress is kept: send /start whenever you want to continue.
cancel-nothing = There's nothing to cancel. Send /start to begin.
tap-step-over = That step is over.
answer-not-text = Please answer with text.
answer-use-buttons = Please tap one of the buttons.

## Email and code

email-not-text = Please type your email address.
email-invalid = That doesn't look like an email address. Please send it like name@company.com.
email-taken = This email already has an agent or a request in progress. Please use another address, or write to us if you think this is a mistake.
email-ask-again = OK, send me the email address to use. (If the code to { $email } arrives after all, just type it here.)
code-still-valid = The code I sent to { $email } a moment ago is the one to type. A new one can be sent in { $seconds } s.
code-sent = 📧 I've sent a 6-digit code to { $email }. Type it here; it's valid for { $minutes } minutes.
code-resume = 📧 Welcome back! Type the 6-digit code I sent to { $email }, or ask for a new one.
code-send-failed = I couldn't send the code just now. Please try again in a minute.
code-address-hourly-limit = Several codes were sent to { $email } in the last hour. Please wait an hour before asking for another.
code-address-daily-limit = Too many codes were sent to { $email } today. Please try again tomorrow.
code-daily-limit = You've asked for { $count } codes today, the daily maximum. Please try again tomorrow.
code-wait = Please wait { $seconds } s before asking for a new code.
code-not-text = Please type the 6-digit code from the email.
code-format = The code is 6 digits, like 123456. Please type it as it is in the email.
code-looks-like-email = That's an email address. To use a different one, tap "Change email".
code-none = There's no code waiting for you. Tap "New code" and I'll send one.
code-wrong =
    { $left ->
        [one] That code isn't right. You have 1 try left.
       *[other] That code isn't right. You have { $left } tries left.
    }
code-locked = Too many wrong tries: that code no longer works. Tap "New code" to get another.
code-expired = That code has expired. Tap "New code" to get another.
code-ok = ✅ Email confirmed. A few quick questions so we can set up the right agent for you.
button-new-code = 🔁 New code
button-change-email = ✏️ Change email
mail-code-subject = Your code: { $code }
mail-code-body =
    Your one-time code is { $code }. It expires in { $minutes } minutes.

    If you didn't ask for it, ignore this email.

## Qualification

q-use_case = What will your agent mostly do?
q-use_case-research = 🔎 Research
q-use_case-content = ✍️ Writing & content
q-use_case-support = 💬 Customer support
q-use_case-sales = 📈 Sales & leads
q-use_case-dev = 🛠 Software & ops
q-use_case-general = 🤷 A bit of everything
q-team_size = Who will work with the agent?
q-team_size-solo = Just me
q-team_size-small_team = A small team (2-10)
q-team_size-company = A company (10+)
q-referral = Do you have a referral code? Type it, or tap Skip.
referral-unknown = I don't know the code { $code }. Check it and type it again, or tap Skip.
button-skip = Skip
tz-ask = Which timezone are you in? Tap one, or type its name, e.g. Europe/Warsaw.
tz-invalid = I don't know that timezone. Please send a name like Europe/Warsaw or America/New_York.
qualified = 🎉 Great, you're in! Next, your agent needs its own Telegram bot.
contact-track =
    Thank you! Right now we're onboarding teams whose needs match what our agents do best, so we won't set up an agent for you just yet.

    We've saved your details and will be in touch. You can write to the team right here any time; /status shows where you stand.

## Your bot

token-instructions =
    🤖 Create your bot with @BotFather:
    1. Open @BotFather and send /newbot
    2. Choose a display name, then a username ending in "bot"
    3. BotFather replies with a message containing your bot's token

    Forward that message to me (or paste just the token). I'll check it and then delete it from this chat, so your token stays private.
token-not-text = Please forward BotFather's message, or paste the token as text.
token-not-from-botfather = That message wasn't forwarded from @BotFather. Please forward BotFather's own message, or paste just the token.
token-malformed = That token looks incomplete. Please forward BotFather's message again, or paste the whole token (digits, a colon, then 35 characters).
token-not-found = I couldn't find a bot token there. Forward BotFather's message with the token, or paste the token itself.
token-invalid = That token doesn't work: Telegram says it isn't valid. Please check it and send it again.
token-unreachable = I couldn't reach Telegram to check the token. Please try again in a minute.
token-taken = That bot is already registered to another client. Please create a new bot with @BotFather and send its token.
token-daily-limit = You've tried { $count } tokens today, the daily maximum. Please try again tomorrow.
token-ok = ✅ Your bot @{ $bot } is connected. I've deleted your message with the token.

## Name and confirmation

name-ask = What should your agent be called? Use 3 to 20 lowercase letters, digits or hyphens, e.g. acme-helper.
button-use-name = Use { $name }
name-length = A name must be 3 to 20 characters long.
name-characters = Use only lowercase letters a-z, digits and hyphens.
name-hyphen = A name can't start or end with a hyphen.
name-reserved = "{ $name }" is reserved. Please choose another name.
name-taken = "{ $name }" is taken. How about { $suggestion }? Tap it, or type another name.
name-taken-no-suggestion = "{ $name }" is taken. Please type another name.
confirm-summary =
    Please check your agent request:

    Email: { $email }
    Bot: @{ $bot }
    Timezone: { $timezone }
    Agent name: { $name }
button-confirm = ✅ Confirm
button-change-name = ✏️ Change name
button-cancel = ✖ Cancel
request-pending = 📨 Request sent! Your agent { $name } is waiting for a quick review. I'll message you here as soon as it's approved.
request-waitlisted = ⏳ We're at full capacity right now, so your agent { $name } is on the waitlist. I'll message you here as soon as a slot opens.

## Status

status-none = You haven't started yet. Send /start to begin.
status-email-pending = Waiting for you to confirm your email ({ $email }). Send /start to continue.
status-qualifying = You're answering a few questions. Send /start to continue.
status-qualified = Next step: connect your bot from @BotFather. Send /start to continue.
status-contact-track = We have your details ({ $email }) and will be in touch. Write here any time: the team reads it.
status-token-validated = Next step: choose your agent's name. Send /start to continue.
status-pending-review = Your agent { $name } is waiting for review. I'll message you here when it's approved; /cancel withdraws the request.
status-waitlisted = Your agent { $name } is on the waitlist. I'll message you here when a slot opens.
status-provisioning = Your agent { $name } is being set up.
status-live = Your agent { $name } is live.
status-degraded = Your agent { $name } has a problem; we're on it.
status-churned = Your agent has been switched off. Write here if you'd like it back: the team reads it.
status-rejected = We couldn't approve your request this time. Write here if you have questions: the team reads it.

## For the masters

master-request-pending =
    🆕 Agent request #{ $id } — pending review
    Name: { $name }
    Email: { $email }
    Bot: @{ $bot }
    Timezone: { $timezone }
    Score: { $score }
master-request-waitlisted =
    ⏳ Agent request #{ $id } — waitlisted (capacity reached)
    Name: { $name }
    Email: { $email }
    Bot: @{ $bot }
    Timezone: { $timezone }
    Score: { $score }

## Decisions, provisioning, going live (client side)

request-approved = ✅ Approved! I'm setting up your agent { $name } now and will keep you posted here.
request-rejected = We're sorry: we couldn't approve your agent request this time. Write here if you have questions.
request-rejected-reason = {" "}Reason: { $reason }
progress-client = ⚙️ Setting up your agent { $name }: step { $step } of { $total }…
progress-client-done = ⚡ Your agent { $name } is live!
progress-client-failed = ⚠️ Setting up your agent { $name } hit a problem. We've been told and will fix it; you don't need to do anything.
live-greeting = ⚡ Your agent { $name } is live. Say hello!
live-press-start = ⚡ Your agent { $name } is ready! Open t.me/{ $bot } and press Start, then come back and tap Done so it can say hello.
button-done = ✅ Done
live-greeted = Your agent just said hello in its own chat.
live-still-not-started = Not yet: open t.me/{ $bot }, press Start, then tap Done again.
qualified-by-master = 🎉 Good news: we'd like to set up an agent for you after all! The next step is your own Telegram bot.
tap-not-allowed = Only the fleet's masters can do that.
agent-destroyed = Your agent { $name } has been switched off. Write here if you'd like it back.
mail-welcome-subject = Your agent { $name } is live
mail-welcome-body =
    Your agent { $name } is live on Telegram: { $link }

    Open it and say hello.

## For the masters

button-approve = ✅ Approve
button-reject = ❌ Reject
button-destroy = 🗑 Destroy { $name }
master-help =
    Master commands (without their argument, each shows a list to tap):
    /start — your home: what needs you, with a button to each view
    /spawn <name> <token> — provision an agent for the fleet
    /approve [id] — approve a waiting request
    /reject [id] [reason] — reject it (asks; the client reads the reason)
    /qualify [id or email] — move a contact-track lead on
    /lead [id or email] — one person: who, their messages, what you can do
    /leads [pending|qualified|contact_track|waitlisted] — leads with buttons
    /fleet — every agent and its status
    /agent [name] — one agent, with [🔑 New token] [🗑 Destroy] [👤 Owner]
    /destroy [name] — delete an agent (asks first)
    /brief — the morning brief now (on a quiet day: the fleet, and that the brief will be skipped)
    /token [name] — a new API token for an agent (asks first; shown once)
    To answer a client: reply to their message, or tap ↩️ Reply.
master-approved = ✅ Request #{ $id } approved: provisioning started.
master-rejected = ❌ Request #{ $id } rejected; the client was told.
master-usage-approve = Usage: /approve <request id>, e.g. /approve 12
master-usage-reject = Usage: /reject <request id> [reason]
master-usage-spawn = Usage: /spawn <name> <token>, e.g. /spawn peter 7890123456:AAH… (I delete the message with the token.)
master-usage-leads = Usage: /leads [pending|qualified|contact_track|waitlisted]
master-not-contact-track = { $email } is not on the contact track: they are { $state }.
master-qualified = ✅ { $email } is qualified; they were told in their chat and continue at the bot step.
master-no-leads = No leads are { $state }.
master-leads-title = Leads { $state } ({ $count }):
master-leads-more = {"\u000A"}… and { $count } more.
master-fleet-empty = The fleet has no agents yet. /spawn <name> <token> creates one.
master-no-such-agent = There is no agent called { $name }.
master-destroy-ask = Destroy { $name } (owner: { $owner })? Its deployment is deleted and its owner is told. This cannot be undone.
master-destroy-failed = Could not delete { $name }'s deployment: { $error }. Nothing was changed; try again.
master-destroyed = 🗑 { $name } was destroyed.
master-retrying = 🔁 Retrying.
master-name-taken = The name { $name } is taken.
master-spawning = 🚀 Spawning { $name } (@{ $bot }). The progress message follows.
master-agent-online = ⚡ { $name } is online
master-decided-approved = ✅ Approved by { $by } at { $time }
master-decided-rejected = ❌ Rejected by { $by } at { $time } (reason: { $reason })
master-job-failed =
    ❌ Provisioning { $name } failed at step { $step } ({ $label }):
    { $error }
button-retry = 🔁 Retry
button-qualify = ⬆️ Qualify #{ $id }
master-fleet-counts = { $green } 🟢 online · { $yellow } 🟡 being set up or silent · { $red } 🔴 failed or degraded
master-agent-view =
    { $emoji } { $name } — { $state }
    Owner: { $owner }
    Bot: @{ $bot }
    Provisioner: { $provisioner } (app { $app })
    Created: { $created }
    Last event: { $event }
master-lead-line = #{ $id } { $email } — score { $score } — { $age }{ $name }
master-new-lead = 📋 New lead on the contact track: { $who }
progress-owner = 👤 { $who } · approved by { $by }
progress-running = ⚙️ Setting up { $name } ({ $provisioner })
progress-done = ⚡ { $name } is online ({ $provisioner })
progress-failed = ❌ Setting up { $name } failed ({ $provisioner })
progress-dry-run = DRY RUN: nothing is deployed; every step is only recorded.
progress-retrying = retrying: { $error }
progress-error = Error: { $error }
step-check-name = check the name is free
step-guacamole = pre-register the desktop in Guacamole
step-create-app = create the app
step-set-env = set its environment
step-deploy = deploy
step-register = add it to the registry
step-wait-live = wait for the deployment to finish
progress-deployed = 📦 { $name } is deployed ({ $provisioner }); waiting for it to report online
progress-client-deployed = 📦 Your agent { $name } is starting up…

## Escalations and actions (§7.5, §7.2)

escalation-notice =
    🆘 { $agent } is stuck (#{ $id })
    Doing: { $doing }
    Tried: { $tried }
    Needs: { $need }
    Proposed fix: { $fix }
escalation-notice-urgent =
    🚨 URGENT — { $agent } is stuck (#{ $id })
    Doing: { $doing }
    Tried: { $tried }
    Needs: { $need }
    Proposed fix: { $fix }
escalation-tried-nothing = (nothing listed)
escalation-no-fix = (none proposed: decide what to do, or tap Modify to say)
button-approve-fix = ✅ Approve proposed fix
button-skip-escalation = ❌ Skip
button-modify = 🔄 Modify
escalation-ruled-approve = ✅ proposed fix approved
escalation-ruled-skip = ❌ skipped
escalation-ruled-modify = 🔄 modified: “{ $note }”
escalation-ruled = { $what } — by { $by } at { $time }
escalation-ask-note = ✍️ Send the instruction for #{ $id } (what { $agent } should do instead) as your next message.
escalation-waiting-note = Waiting for your text.
escalation-note-not-text = Please send the instruction as text.
escalation-sent = Sent to { $agent }.
action-notice =
    { $emoji } { $agent } asks to { $action } (#{ $id })
    { $summary }
action-decided-rejected = ❌ Rejected by { $by } at { $time }

## The brief (§7.3) and the weekly messages

brief-title = ☀️ Morning Brief — { $date }
brief-needs-you = NEEDS YOU ({ $count }):
brief-needs-you-cont = NEEDS YOU (cont.):
brief-happening = HAPPENING:
brief-happening-cont = HAPPENING (cont.):
brief-shipped = SHIPPED YESTERDAY:
brief-shipped-cont = SHIPPED YESTERDAY (cont.):
brief-blocked = BLOCKED:
brief-blocked-cont = BLOCKED (cont.):
brief-more = …and { $count } more
brief-need-request = { $name } spawn — { $email } (score { $score })
brief-need-escalation = { $agent } stuck: { $need } → proposed: { $fix }
brief-need-action = { $agent } asks to { $action }: { $summary }
brief-shipped-live = { $name } went live
brief-shipped-approved = { $name } approved by { $by }
brief-shipped-rejected = { $name } rejected by { $by }
brief-shipped-escalation = { $agent } unblocked: { $need }
brief-blocked-job = { $name } provisioning failed at step { $step }: { $error }
brief-fix-job = fix the cause, then tap 🔁 Retry on the failure message
brief-blocked-silent = { $name } is deployed but has not reported online for 30 minutes
brief-fix-silent = check the container's logs in Coolify (app { $app }); it must POST /v1/agents/<name>/online
brief-blocked-revoked = { $name }: token revoked
brief-fix-revoked = ask { $owner } for a new token (they were told how)
digest-title = 📋 Contact-track leads this week ({ $count }); one tap qualifies:
review =
    📊 The week in review
    Agents live: { $live } ({ $new } new this week)
    Leads: { $pending } pending review · { $qualified } qualified · { $track } contact track · { $waitlisted } waitlisted
    Escalations decided: { $decided } (median time to decision { $median })
master-token-rotated =
    🔑 New API token for { $name } (shown once; the old one no longer works):
    { $token }
    Set it as M2O_AGENT_TOKEN in the agent's environment.

## Health check, new token, nurture

health-token-revoked = ⚠️ Your agent { $name } can't use its bot @{ $bot } any more: the token was revoked. Open @BotFather, send /token, pick @{ $bot }, and forward the new token here.
new-token-other-bot = That token belongs to another bot. Please send a new token for @{ $bot }.
new-token-ok = ✅ New token received. Your agent is restarting with it; I'll tell you when it's back.
stop-done = OK: no more follow-up messages from us. Send /start any time if you change your mind.
nurture-1 = 👋 Thanks for your interest in Machine.Machine! An agent takes on research, writing, support or ops work for you around the clock. Reply here with what you'd hand over first; /stop ends these messages.
nurture-1-subject = What would you hand over to an AI agent?
nurture-3 = 💡 Teams use their agent for daily research briefs, first drafts and customer replies. If one of those fits, tell us here and we'll see if we can set you up sooner. /stop ends these messages.
nurture-3-subject = Three things agents do every day
nurture-7 = 📬 Last note from us: we review the people we're in touch with every week. If your needs have changed (a team, a specific use case), reply here and the team will see it. /stop ends these messages.
nurture-7-subject = Still interested in your own agent?
nurture-email-footer = You get this because you asked about an agent at Machine.Machine. Send /stop to our Telegram bot to stop these messages.
brief-fleet = Fleet: { $agents }
master-outbox-parked = ⚠️ Could not deliver { $what }: it was refused ({ $why }). It is set aside and will not be tried again.

## Who a person is, for the masters (fleet::people)

who = #{ $id } { $name }{ $email } · { $state } · score { $score }
score-base = base
score-company-email = company email
score-none = not scored yet
score-changed = { $score } (scored with an earlier table; today: { $now })
state-email-pending = waiting for the email code
state-email-verified = email confirmed
state-qualifying = answering the questions
state-qualified = qualified, connecting their bot
state-contact-track = on the contact track
state-token-validated = bot connected, choosing a name
state-name-chosen = name chosen, confirming
state-pending-review = waiting for review
state-waitlisted = on the waitlist
state-provisioning = being set up
state-live = live
state-active = active
state-degraded = live, with a problem
state-churned = switched off
state-rejected = turned down

## The two-way line between clients and the masters (fleet::line, bot::line)

line-card =
    💬 A message from { $who }
    Reply to this message to answer, or tap ↩️ Reply.
button-reply = ↩️ Reply
line-answered = ↩️ { $by }: { $text }
line-from-team =
    💬 From the team:

    { $text }

    You can answer right here.
line-text-only = I can pass on text only. Please type your message.
line-token-removed = That looked like a bot token, so I deleted it and passed nothing on. Never send a token here unless I ask for one.
line-sent = ✉️ Sent to the team. They'll answer here.
line-held = ✉️ Kept. You've written a lot today, so the team will read the rest of today's messages in your history rather than one by one.
line-reply-ask = ✍️ Type your answer to { $who }. It goes to them from the bot; /cancel drops it.
line-reply-waiting = Waiting for your answer…
line-answer-sent = ✉️ Sent to { $email }.
master-idle-hint = To answer a client, reply to their message (swipe it left) or tap ↩️ Reply under it. /start shows your home panel, /help the commands.
master-cancel-done = OK, dropped.

## A master's home, unknown commands, stalled clients (bot::home)

home =
    🏠 Your fleet
    🆕 Requests waiting for you: { $pending } (on the waitlist: { $waitlisted })
    🆘 Open escalations: { $escalations }
    🤖 Agents: { $green } 🟢 · { $yellow } 🟡 · { $red } 🔴
    📋 Leads: { $track } on the contact track · { $stalled } stuck mid-onboarding
home-requests = 🆕 Requests ({ $count })
home-escalations = 🆘 Escalations ({ $count })
home-fleet = 🤖 Fleet ({ $count })
home-track = 📋 Contact track ({ $count })
home-stalled = ⏸ Stuck ({ $count })
unknown-command-closest = I don't know { $typed } — did you mean { $known }?
unknown-command = I don't know { $typed }. /help lists the commands.
master-no-escalations = No escalations are open.
master-escalation-line = 🆘 #{ $id } { $agent } needs: { $need }
master-no-stalled = Nobody is stuck mid-onboarding.
master-stalled-title = ⏸ Stuck mid-onboarding for 2 days or more ({ $count }):
master-stalled-line = #{ $id } { $email } — { $state } — { $days }d
button-nudge = 🔔 Nudge #{ $id }
master-nudged = 🔔 { $email } was nudged.
master-nudge-already = They were nudged already: once is enough.
master-nudge-stopped = They sent /stop: no more messages to them.
master-nudge-moved-on = They moved on since: no nudge needed.
nudge = 👋 You started setting up your own AI agent with us and stopped halfway. Send /start to pick up exactly where you left off (it takes a minute), or write here if something got in the way. /stop ends these messages.

## Deciding a request in the chat (bot::decide)

decide-not-found = There is no request #{ $id }.
decide-not-pending = Request #{ $id } is not waiting for a decision: they are { $state }.
decide-already-approved = Request #{ $id } was already approved by { $by } at { $at }.
decide-already-rejected = Request #{ $id } was already rejected by { $by } at { $at }.
decide-name-taken = The agent name { $name } is taken by another agent.
master-rejected-reason = ❌ Request #{ $id } rejected; the client was told, with your reason.
button-reject-now = ❌ Reject without a reason
button-keep-waiting = ↩️ Keep waiting
reject-ask =
    ❌ Reject { $who }?
    Type the reason the client will read, or tap below.
reject-waiting = Type a reason, or tap a button.
reject-kept = Request #{ $id } is still waiting.
reject-reason-not-text = Please type the reason as text, or tap a button above.
pick-no-requests = No requests are waiting for a decision.
pick-approve = Which request do you approve?
pick-reject = Which request do you reject? (You will be asked for a reason.)

## Withdrawing a waiting request, and request cards after a decision

master-request-decided = 🆕 Agent request #{ $id } — { $state }
master-decided-withdrawn = ↩️ Withdrawn by the client at { $time }
request-withdrawn = Your request is withdrawn: nothing will be set up, and the team was told. Write here if you'd like to talk to them.
status-withdrawn = You withdrew your request. Write here if you'd like to talk to the team.
withdraw-ask = Your agent { $name } is waiting for the team's review. Withdraw the request? The team will be told, and the name is freed.
button-withdraw = ↩️ Withdraw my request
button-keep-request = Keep it waiting

## One status vocabulary for agents (domain::agent::Status)

status-legend = 🟢 online (heartbeat in the last 30 min) · 🟡 being set up, or silent · 🔴 setup failed or degraded · ⚫ destroyed
agent-status-online = online
agent-status-silent = silent (no heartbeat for 30 min)
agent-status-setting-up = being set up
agent-status-setup-failed = setup failed
agent-status-degraded = degraded
agent-status-destroyed = destroyed

## Cards and pick-lists (bot::cards)

pick-agent = Which agent?
pick-destroy = Which agent do you destroy? (You will be asked to confirm.)
pick-token = Which agent gets a new API token? (You will be asked to confirm.)
pick-lead = Who? (the latest first; /lead <id or email> finds anyone)
pick-no-leads = Nobody has started yet.
pick-qualify = Which contact-track lead do you move on?
pick-no-track = Nobody is on the contact track.
confirm-below = Confirm below.
button-new-token = 🔑 New token
button-destroy-ask = 🗑 Destroy
button-owner = 👤 Owner
button-rotate-now = 🔑 Rotate now
token-ask = 🔑 A new API token for { $name }? Its current token stops working at once: the agent's next heartbeat gets 401 until it is given the new one.
token-rotated-toast = New token below.
master-no-such-person = I know nobody as { $who } (try an id like 12, or an email).
lead-card =
    👤 { $who }
    Since { $created } · last step { $updated }
    Bot: { $bot } · timezone: { $timezone }
brief-quiet =
    Nothing needs you and nothing is blocked, so the { $time } brief will be skipped.

    { $fleet }

## Link buttons

button-open-botfather = 🤖 Open @BotFather
button-open-bot = 💬 Open @{ $bot }

## /forget (fleet::privacy)

forget-ask = Erase your personal data? Your email, your answers, your bot's token and our conversation are deleted for good; we keep only an anonymous record that this happened. You can start again with /start any time.
button-forget = 🗑 Erase my data
button-keep = Keep it
nothing-changed = Nothing changed.
forget-done = 🗑 Done: your personal data is erased.
forget-nothing = We don't have any personal data of yours.
forget-withdraw-first = You have a request or an agent with us. To erase your data, withdraw the request first with /cancel, or, for a live agent, write here and the team will switch it off and erase everything.

## One-tap bot creation (Bot Management Mode; bot::token, bot::managed)

one-tap-offer = 🤖 The quickest way: tap "Create my bot" below. Telegram makes your bot in one tap and I connect it. (Or do it by hand with @BotFather, as explained next.)
button-create-bot = 🤖 Create my bot
one-tap-suggested-name = { $name }'s agent
one-tap-created = 🤖 Got your new bot.
token-ok-one-tap = ✅ Your bot @{ $bot } is connected.
health-token-healed = 🔑 The token of @{ $bot } stopped working, so we gave your agent { $name } a new one and restarted it. Nothing for you to do.
managed-owner-changed = 👤 The owner of @{ $bot } (agent { $name }) changed in Telegram: it now belongs to user { $user }. The agent keeps running; check whether that was meant.

## The onboarding funnel's stages (the fleet panel, the weekly pictures).
funnel-started = started
funnel-email-confirmed = email confirmed
funnel-qualified = qualified
funnel-contact-track = contact track
funnel-bot-connected = bot connected
funnel-confirmed = confirmed
funnel-live = live
button-open-panel = 📊 Open panel
menu-panel = Panel
funnel-caption = 📊 Onboarding funnel, week of { $week } (and the 7 weeks before):
